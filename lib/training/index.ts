export * from './builtin-image';
