import { ReplaySubject, filter, firstValueFrom, type Subscription } from 'rxjs';
import { jsonCodec, msgpackCodec, msgpackCompatCodec, type Codec } from '../codec/index.js';
import { Kind, decodeMessageFrame, encodeMessageFrame, kindName, type Envelope } from '../envelope/index.js';
import type { InboundFrame, PeerId, Route, Transport } from '../transport/index.js';
import { waitFor, type WaitPolicy } from './bounded-wait.js';

/*
 * The routed suite's plumbing: real envelope frames, a recorder per endpoint,
 * learning each other's peer ids, and fences. A fence is the suite's only way
 * to say "nothing more is coming": X sends a frame straight to Y (`to`) and Y
 * waits for it. One publisher's frames reach one receiver in order (NATS keeps
 * that per connection), so what X sent Y before the fence has arrived by then,
 * and whatever X declared or withdrew before it reached the network first.
 */

/** The labels of a routed set's endpoints. */
export type Label = 'a' | 'b' | 'c';
export const LABELS: readonly Label[] = ['a', 'b', 'c'];

/** What the suite puts in the payload of its own frames, to tell them apart. */
interface KitPayload {
  readonly kit: 'hello' | 'fence' | 'data';
  readonly from: Label;
  readonly n: number;
}

/** A frame one endpoint received, decoded (the envelope is absent when it did not decode). */
export interface Received {
  readonly frame: InboundFrame;
  readonly envelope: Envelope | undefined;
}

// Every built-in codec, by wire id: a transport may answer NO_HANDLER in any of them.
const CODECS: ReadonlyMap<number, Codec> = new Map([jsonCodec, msgpackCodec, msgpackCompatCodec].map((codec) => [codec.id, codec]));

/** Decodes a frame as the bus would, or undefined when it is no message frame. */
export function decodeFrame(data: Uint8Array): Envelope | undefined {
  try {
    return decodeMessageFrame(data, CODECS);
  } catch {
    return undefined;
  }
}

/** A whole-message frame of the suite's own, in JSON so that any transport carries it as is. */
export function kitFrame(route: Route, payload: KitPayload): Uint8Array {
  return encodeMessageFrame({ kind: route.kind, id: route.id, name: route.name, payload, headers: undefined }, jsonCodec);
}

function kitPayload(received: Received): KitPayload | undefined {
  const payload = received.envelope?.payload as Partial<KitPayload> | undefined;
  return payload !== null && typeof payload === 'object' && typeof payload.kit === 'string' ? (payload as KitPayload) : undefined;
}

/** One endpoint of the set: its transport, everything it received, and the peers it saw connect. */
export class Endpoint {
  readonly #received = new ReplaySubject<Received>();
  readonly #log: Received[] = [];
  readonly #connected = new ReplaySubject<PeerId>();
  readonly #subscriptions: Subscription[] = [];
  /** The peer id under which this endpoint reaches each other one, learnt from their hellos. */
  readonly idOf = new Map<Label, PeerId>();
  #fences = 0;

  constructor(
    readonly label: Label,
    readonly transport: Transport,
  ) {
    // Both are hot: subscribed before start() so that nothing is missed.
    this.#subscriptions.push(
      transport.frames$.subscribe((frame) => {
        const received = { frame, envelope: decodeFrame(frame.data) };
        this.#log.push(received);
        this.#received.next(received);
      }),
      transport.peers$.subscribe((event) => {
        if (event.type === 'connected') this.#connected.next(event.peer.id);
      }),
    );
  }

  /** Frames received that are not the suite's hellos and fences, in arrival order. */
  data(): Received[] {
    return this.#log.filter((r) => {
      const kit = kitPayload(r);
      return kit === undefined || kit.kit === 'data';
    });
  }

  /** Waits for the first received frame `matches` accepts (one that came already counts). */
  next(what: string, matches: (received: Received) => boolean, wait: WaitPolicy): Promise<Received> {
    return waitFor(`${what} on ${this.label}.frames$`, firstValueFrom(this.#received.pipe(filter(matches))), wait);
  }

  /** Sends a frame of the suite's own through `sendRouted`, bounded. */
  async send(route: Route, kit: KitPayload['kit'], n: number, wait: WaitPolicy, to?: PeerId): Promise<Uint8Array> {
    const data = kitFrame(route, { kit, from: this.label, n });
    const what = `${this.label}.sendRouted() of ${kindName(route.kind)} '${route.name}' #${route.id}${to === undefined ? '' : ` to '${to}'`} to be accepted`;
    await waitFor(what, to === undefined ? this.transport.sendRouted(data, route) : this.transport.sendRouted(data, route, to), wait);
    return data;
  }

  /**
   * Sends `to` a fence and waits until it arrives there: every frame this
   * endpoint sent `to` before has arrived, and every interest it declared or
   * withdrew before has reached the network.
   */
  async fence(to: Endpoint, wait: WaitPolicy): Promise<void> {
    const n = ++this.#fences;
    const id = this.#peerId(to.label);
    await this.send({ kind: Kind.Event, id: 0, name: 'kit.fence' }, 'fence', n, wait, id);
    const from = this.label;
    await to.next(`the fence #${n} ${from} sent to '${id}' (sendRouted with to)`, (r) => {
      const kit = kitPayload(r);
      return kit?.kit === 'fence' && kit.from === from && kit.n === n;
    }, wait);
  }

  /** Learns the others' peer ids: waits for them on peers$, says hello to each, waits for theirs. */
  async meet(others: readonly Endpoint[], wait: WaitPolicy): Promise<void> {
    const greeted = new Set<PeerId>();
    const hello = (id: PeerId): Promise<unknown> => {
      if (greeted.has(id)) return Promise.resolve();
      greeted.add(id);
      return this.send({ kind: Kind.Event, id: 0, name: 'kit.hello' }, 'hello', 0, wait, id);
    };
    const sending: Promise<unknown>[] = [];
    const greeting = this.#connected.subscribe((id) => sending.push(hello(id)));
    try {
      for (const other of others) {
        const from = other.label;
        const their = await this.next(`a hello from ${from}, which ${from} sends to each peer it sees connected on ${from}.peers$`, (r) => {
          const kit = kitPayload(r);
          return kit?.kit === 'hello' && kit.from === from;
        }, wait);
        this.idOf.set(from, their.frame.peer.id);
      }
      // The others may still wait for our hello to a peer we saw late.
      await Promise.all(sending);
    } finally {
      greeting.unsubscribe();
    }
  }

  #peerId(label: Label): PeerId {
    const id = this.idOf.get(label);
    if (id === undefined) throw new Error(`${this.label} does not know ${label}'s peer id (no hello from it)`);
    return id;
  }

  peerId(label: Label): PeerId {
    return this.#peerId(label);
  }

  dispose(): void {
    for (const s of this.#subscriptions) s.unsubscribe();
  }
}

/** What a received frame was, for messages: kind, id, name, via, sender. */
export function describeReceived(received: readonly Received[]): string[] {
  return received.map(({ frame, envelope }) => {
    if (envelope === undefined) return `undecodable ${frame.data.byteLength}-byte frame from '${frame.peer.id}'`;
    const via = frame.via === undefined ? '' : ` via ${frame.via}`;
    return `${kindName(envelope.kind)} '${envelope.name}' #${envelope.id}${via} from '${frame.peer.id}'`;
  });
}
