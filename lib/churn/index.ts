export * from './schema';
export * from './etl-job';
export * from './features';
export * from './model-build';
export * from './platform';
