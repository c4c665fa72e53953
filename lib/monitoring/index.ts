export * from './alarms';
export * from './model-monitor';
