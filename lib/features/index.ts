export * from './feature-types';
export * from './feature-group';
export * from './feature-ingestion';
