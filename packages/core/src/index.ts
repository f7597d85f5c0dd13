export * from './errors/index.js';
export * from './clock/index.js';
export * from './transport/index.js';
export * from './wire/index.js';
