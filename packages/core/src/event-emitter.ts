/**
 * eventemitter3's `EventEmitter`, loaded on the first call: a transport makes
 * its `events` emitter only when someone reads it (the bus never does), so a
 * process that listens through the bus or the observables never loads the
 * package. It is `require`d rather than imported: eventemitter3 is CommonJS
 * (its ESM entry only re-exports it), see cjs-require.ts.
 */
import type { EventEmitter } from 'eventemitter3';
import { requireCjs } from './cjs-require.js';

let EventEmitterClass: typeof EventEmitter | undefined;

/** A new eventemitter3 `EventEmitter` (the package's own class and types). */
export function newEventEmitter<Events extends EventEmitter.ValidEventTypes>(): EventEmitter<Events> {
  EventEmitterClass ??= (requireCjs('eventemitter3') as { EventEmitter: typeof EventEmitter }).EventEmitter;
  return new EventEmitterClass<Events>();
}
