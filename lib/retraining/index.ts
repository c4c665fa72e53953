export * from './pipeline-target';
export * from './retraining-triggers';
