/** What `import ... from 'cdk-ml-platform'` gives the docs example (the stages it uses). */
export * from '../../lib/pipelines';
export * from '../../lib/registry';
export * from '../../lib/training';
export { DataLake } from '../../lib/storage/data-lake';
export { MlNetwork } from '../../lib/security/network';
