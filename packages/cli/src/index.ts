export { main, mainHelp } from './cli.js';
export type { CliIo } from './io.js';
export { processIo } from './io.js';
export type { ByteSource } from './format/payload-source.js';
