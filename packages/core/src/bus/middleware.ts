/**
 * Middleware: its types, the chain runner, and the context a message is
 * shown as. The inbox and the outbox run their chains through here.
 *
 * Room for: tracing (a middleware that reads and writes `headers`, on both
 * directions); a new kind of message (add it to `Kind`, and the compiler
 * asks for its name here).
 */
import type { Envelope, Headers } from '../envelope/index.js';
import { Kind } from '../envelope/envelope.js';
import type { PeerInfo } from '../transport/index.js';
import { checkHeaders } from './argument-checks.js';

/**
 * The kinds of message middleware sees, by name: each envelope `Kind`,
 * kebab-cased. A `hello` is what a peer may send to introduce itself; the bus
 * passes it through inbound middleware and then ignores it.
 */
export type MessageKindName =
  | 'request'
  | 'response'
  | 'error'
  | 'event'
  | 'cancel'
  | 'stream-next'
  | 'stream-end'
  | 'hello'
  | 'ping'
  | 'pong';

/** `StreamNext` → `stream-next`, at the type level. */
type KebabCase<S extends string, First extends boolean = true> = S extends `${infer C}${infer Rest}`
  ? `${C extends Lowercase<C> ? C : `${First extends true ? '' : '-'}${Lowercase<C>}`}${KebabCase<Rest, false>}`
  : '';

// The names live once, in Kind: this fails to compile if MessageKindName and Kind part ways.
type SameNames<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const kindNamesMatch: SameNames<MessageKindName, KebabCase<keyof typeof Kind>> = true;
void kindNamesMatch;

/** By kind number: derived from Kind's keys, so that no second list of kinds can drift. */
const NAME_OF_KIND: readonly MessageKindName[] = ((): MessageKindName[] => {
  const names: MessageKindName[] = [];
  for (const [key, kind] of Object.entries(Kind)) {
    names[kind] = key.replace(/[A-Z]/g, (c, at: number) => (at === 0 ? '' : '-') + c.toLowerCase()) as MessageKindName;
  }
  return names;
})();

/**
 * One message passing through middleware. `payload` and `headers` may be
 * replaced (to add an auth token, say); the rest describes the message.
 */
export interface MessageContext {
  readonly direction: 'inbound' | 'outbound';
  readonly kind: MessageKindName;
  /** Correlation id; 0 for events. */
  readonly id: number;
  /** Method or topic. */
  readonly name: string;
  payload: unknown;
  headers: Headers | undefined;
  /** Inbound: who sent it. Outbound: the destination, when one was given. */
  readonly peer: PeerInfo | undefined;
}

/**
 * Koa-style middleware: call `next()` to pass the message on, skip it to drop
 * the message, throw (a `BusError` preferably) to refuse it. An inbound
 * request refused this way is answered with the error; an outbound message
 * refused this way fails the call that sent it.
 *
 * @example
 * ```ts
 * bus.use({
 *   inbound: async (msg, next) => {
 *     if (msg.kind === 'request' && msg.headers?.token !== secret)
 *       throw new BusError('ACCESS_DENIED', 'bad token');
 *     await next();
 *   },
 * });
 * ```
 */
export type Middleware = (message: MessageContext, next: () => Promise<void>) => void | Promise<void>;

/** Middleware for one or both directions, as given to `bus.use()`. */
export interface MiddlewareSet {
  inbound?: Middleware;
  outbound?: Middleware;
}

/**
 * Runs `message` through `chain`, then `final` if every middleware called
 * `next`. Resolves to whether `final` ran.
 */
export async function runMiddleware(
  chain: readonly Middleware[],
  message: MessageContext,
  final: () => void | Promise<void>,
): Promise<boolean> {
  let reached = false;
  const step = async (i: number): Promise<void> => {
    if (i === chain.length) {
      reached = true;
      await final();
      return;
    }
    let called = false;
    await chain[i]!(message, () => {
      if (called) return Promise.reject(new Error('middleware called next() twice'));
      called = true;
      return step(i + 1);
    });
  };
  await step(0);
  return reached;
}

/** The message `envelope` as middleware sees it. */
export function toContext(direction: 'inbound' | 'outbound', envelope: Envelope, peer: PeerInfo | undefined): MessageContext {
  return {
    direction,
    kind: NAME_OF_KIND[envelope.kind]!,
    id: envelope.id,
    name: envelope.name,
    payload: envelope.payload,
    headers: envelope.headers,
    peer,
  };
}

/** `envelope` with the payload and headers middleware left in `context` (checked: middleware is user code). */
export function fromContext(envelope: Envelope, context: MessageContext): Envelope {
  if (context.payload === envelope.payload && context.headers === envelope.headers) return envelope;
  const headers = checkHeaders(context.headers);
  return { ...envelope, payload: context.payload, headers };
}
