/**
 * eventemitter3's `EventEmitter`, `require`d rather than imported: the
 * package is CommonJS (its ESM entry only re-exports it), see cjs-require.ts.
 * The class is eventemitter3's own, and so are its types.
 */
import type { EventEmitter as EventEmitterType } from 'eventemitter3';
import { requireCjs } from './cjs-require.js';

export const EventEmitter = (requireCjs('eventemitter3') as { EventEmitter: typeof EventEmitterType }).EventEmitter;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventEmitter<Events extends EventEmitterType.ValidEventTypes = string | symbol, Context = any> = EventEmitterType<Events, Context>;
