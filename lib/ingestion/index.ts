export * from './batch-arrival';
export * from './partition-key';
export * from './streaming-ingestion';
