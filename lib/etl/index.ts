export * from './catalog';
export * from './table';
export * from './churn';
export * from './crawler';
export * from './churn-etl-job';
export * from './athena-workgroup';
