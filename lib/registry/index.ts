export * from './model-package-group-ref';
export * from './model-package-group';
