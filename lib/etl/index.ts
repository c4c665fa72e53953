export * from './catalog';
export * from './table';
export * from './crawler';
export * from './athena-workgroup';
export * from './lake-etl-job';
