export * from './alarms';
export * from './model-monitor';
export * from './drift-monitor';
