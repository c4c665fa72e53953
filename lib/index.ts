// The public API: one module per stage of the ML lifecycle. This file only re-exports.
export * from './security/names';
export * from './security/network';
export * from './security/platform-role';
export * from './storage/data-lake';
export * from './storage/data-lake-zone';
export * from './monitoring';
export * from './ingestion';
export * from './etl';
export * from './features';
export * from './pipelines';
export * from './training';
export * from './registry';
export * from './retraining';
export * from './serving';
export * from './platform/ml-platform';
export * from './churn';
