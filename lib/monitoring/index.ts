export * from './alarms';
export * from './model-monitor';
export * from './drift-monitor';
export * from './endpoint-alarms';
export * from './dashboard';
