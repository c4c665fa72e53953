export * from './security/names';
export * from './security/network';
export * from './storage/data-lake';
export * from './storage/data-lake-zone';
export * from './platform/ml-platform';
export * from './security/platform-role';
export * from './monitoring';
