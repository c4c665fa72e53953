// Serving: models, endpoints (real-time, serverless, async, multi-model), guardrails and deploy on approval.
export * from './model';
export * from './variant';
export * from './endpoint-deployment';
export * from './endpoint';
export * from './deploy-on-approval';
export * from './inference-capture';
export * from './scoring-api';
export * from './batch-scoring';
