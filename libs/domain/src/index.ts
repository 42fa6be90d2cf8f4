export * from './errors';
export * from './envelope';
export * from './events';
export * from './commands';
export * from './state';
