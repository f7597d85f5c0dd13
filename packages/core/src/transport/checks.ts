/**
 * The argument checks of `Transport.send()`, `sendRouted()` and
 * `interest()`, shared so that every path fails the same way on the same
 * bad input.
 */
import { MAX_NAME_LENGTH } from '../envelope/envelope.js';
import { BusError } from '../errors/bus-error.js';
import { describeValue } from './describe-value.js';
import type { Interest, Route } from './routed.js';

/** sendProblem's answer for a closed (or closing) transport, which words the error itself (`closedError`). */
export const CLOSED = 'closed';

/** Why a frame may not be sent now (the error to reject with, or CLOSED), or undefined. */
export function sendProblem(
  operation: string,
  // Structural, not Transport's own types: transport.ts imports this file.
  transport: { readonly capabilities: { readonly duplex: boolean; readonly maxFrameSize: number }; readonly state: string },
  frame: Uint8Array,
  to: string | undefined,
  closing: boolean,
): BusError | typeof CLOSED | undefined {
  if (!(frame instanceof Uint8Array)) {
    return new BusError('INVALID_ARGUMENT', `${operation}() takes a Uint8Array frame, got ${describeValue(frame)}`);
  }
  if (to !== undefined && (typeof to !== 'string' || to.length === 0)) {
    return new BusError('INVALID_ARGUMENT', `${operation}() 'to' must be a non-empty peer id, got ${describeValue(to)}`);
  }
  const { capabilities } = transport;
  if (to !== undefined && !capabilities.duplex) {
    return new BusError('NOT_SUPPORTED', `${operation}() to one peer is not possible on a one-way transport; send without 'to' to reach every listener`);
  }
  const max = capabilities.maxFrameSize;
  if (frame.byteLength > max) {
    return new BusError('FRAME_TOO_LARGE', `frame of ${frame.byteLength} bytes exceeds this transport's maxFrameSize of ${max}; send it through a MessageBus, which fragments, or raise maxFrameSize`, {
      details: { size: frame.byteLength, max },
    });
  }
  const state = transport.state;
  if (state === 'closed' || closing) return CLOSED;
  if (state === 'idle') return new BusError('TRANSPORT_CLOSED', `the transport is not started yet: await start() before ${operation}()`);
  return undefined;
}

// Kind's values, 1..10 (envelope.ts); a number outside it is no envelope's.
const MIN_KIND = 1;
const MAX_KIND = 10;

/** Why `route` is not one the bus would pass, or undefined. */
export function routeProblem(route: Route): BusError | undefined {
  if (route === null || typeof route !== 'object') {
    return new BusError('INVALID_ARGUMENT', `sendRouted() takes a route { kind, id, name }, got ${describeValue(route)}`);
  }
  const { kind, id, name } = route;
  if (!Number.isInteger(kind) || kind < MIN_KIND || kind > MAX_KIND) {
    return new BusError('INVALID_ARGUMENT', `sendRouted() route.kind must be an envelope Kind (${MIN_KIND}-${MAX_KIND}), got ${describeValue(kind)}`);
  }
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    return new BusError('INVALID_ARGUMENT', `sendRouted() route.id must be an integer from 0 to 2^32-1, got ${describeValue(id)}`);
  }
  if (typeof name !== 'string' || name.length > MAX_NAME_LENGTH) {
    return new BusError('INVALID_ARGUMENT', `sendRouted() route.name must be a string of at most ${MAX_NAME_LENGTH} chars, got ${describeValue(name)}`);
  }
  return undefined;
}

/** Why `interest` cannot be declared (malformed, or the transport does not route), or undefined. */
export function interestProblem(interest: Interest, routed: boolean, implemented: boolean): BusError | undefined {
  if (!routed || !implemented) {
    return new BusError(
      'NOT_SUPPORTED',
      routed
        ? 'interest(): this transport says capabilities.routed but implements no doInterest(); a routed transport must implement both doSendRouted() and doInterest()'
        : 'interest() needs a routed transport (capabilities.routed, such as transport-nats); this one delivers every frame to every listener already, so there is nothing to declare',
    );
  }
  if (interest === null || typeof interest !== 'object') {
    return new BusError('INVALID_ARGUMENT', `interest() takes { kind: 'method' | 'topic', name, queue? }, got ${describeValue(interest)}`);
  }
  const { kind, name, queue } = interest;
  if (kind !== 'method' && kind !== 'topic') {
    return new BusError('INVALID_ARGUMENT', `interest() kind must be 'method' or 'topic', got ${describeValue(kind)}`);
  }
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) {
    return new BusError('INVALID_ARGUMENT', `interest() name must be a non-empty string of at most ${MAX_NAME_LENGTH} chars, got ${describeValue(name)}`);
  }
  if (interest.id !== undefined && (!Number.isInteger(interest.id) || interest.id < 0)) {
    return new BusError('INVALID_ARGUMENT', `interest() id must be a non-negative integer or absent, got ${describeValue(interest.id)}`);
  }
  if (queue !== undefined && (typeof queue !== 'string' || queue.length === 0)) {
    return new BusError('INVALID_ARGUMENT', `interest() queue must be a non-empty string or absent, got ${describeValue(queue)}`);
  }
  return undefined;
}
