// Publisher of bench/pubsub, one process per measurement.
//   node publisher.mjs SYSTEM ADDRESS SIZE SUBSCRIBERS WARM_MS DURATION_MS WINDOW
// Every system publishes the same value, a Buffer of SIZE bytes, through its
// own API: pipebus buses encode it themselves; for zeromq and nats.js the
// publisher encodes it with msgpackr for every message, as an app would (the
// subscribers unpack it); node-ipc JSON-encodes it itself. The phases (ready,
// warm-up, sync, timed publishing, end marker) are runPublisher's. Once it
// printed its result it waits to be stopped: subscribers may still be
// reading what it sent.
import { createRequire } from 'node:module';
import { pack } from 'msgpackr';
import { onStop, runPublisher } from './child.mjs';

const [system, address, sizeText, subscribersText, warmText, durationText, windowText] = process.argv.slice(2);
const subscribers = Number(subscribersText);
const payload = Buffer.alloc(Number(sizeText), 7);
const phases = { warmMs: Number(warmText), durationMs: Number(durationText) };

/**
 * A pipebus publisher, whatever its transport: WINDOW publishes in flight,
 * each awaited (publish() resolves once the transport took the frame, so the
 * transport's backpressure holds the loop back). `extra` adds runPublisher
 * options (a `prepare` that waits for the subscribers).
 */
async function publishThrough(bus, extra = {}) {
  onStop(() => bus.close());
  await bus.start();
  await runPublisher({ ...phases, window: Number(windowText), publish: (topic) => bus.publish(topic, payload), ...extra });
}

if (system === 'pipebus-server' || system === 'pipebus-namedpipe') {
  const { MessageBus, silentLogger } = await import('@pipebus/core');
  const { NamedPipeServer } = await import('@pipebus/transport-namedpipe');
  const server = new NamedPipeServer({ address, logger: silentLogger });
  const bus = new MessageBus(server, { logger: silentLogger, localDelivery: false });
  let peers = 0;
  let enough;
  const allThere = new Promise((resolve) => (enough = resolve));
  server.peers$.subscribe((e) => {
    peers += e.type === 'connected' ? 1 : -1;
    if (peers >= subscribers) enough();
  });
  // publish() resolves once every peer's socket took the frame.
  await publishThrough(bus, { prepare: () => allThere });
} else if (system === 'pipebus-hub') {
  // A client of the relay hub (hub.mjs), like every subscriber: it does not
  // know who listens; the hub sends each event to the peers that subscribed.
  const { MessageBus, silentLogger } = await import('@pipebus/core');
  const { NamedPipeClient } = await import('@pipebus/transport-namedpipe');
  const client = new NamedPipeClient({ address, connectTimeout: 10_000, reconnect: false, logger: silentLogger });
  const bus = new MessageBus(client, { logger: silentLogger, localDelivery: false });
  // publish() resolves once the client's socket took the frame.
  await publishThrough(bus);
} else if (system === 'zeromq' || system === 'zeromq-nodrop') {
  const zmq = await import('zeromq');
  // Defaults a user would keep: HWM 1000 messages per subscriber on each side.
  // Plain PUB drops a subscriber's messages while its queue is at the HWM; with
  // noDrop (ZMQ_XPUB_NODROP) the send is refused instead and retried below:
  // backpressure, as pipebus gives.
  const pub = new zmq.Publisher({ linger: 0, noDrop: system === 'zeromq-nodrop' });
  onStop(() => pub.close());
  await pub.bind(address);
  // With noDrop, send() at the HWM rejects with EAGAIN at once instead of waiting
  // (a PUB socket always polls writable), so the user retries: setImmediate first,
  // then 1 ms timers, the same policy as the mailslot transport's own retry.
  let retries = 0;
  const send = async (message) => {
    for (let round = 0; ; round++) {
      try {
        return await pub.send(message);
      } catch (error) {
        if (error.code !== 'EAGAIN') throw error;
        retries++;
        await new Promise((resolve) => (round < 32 ? setImmediate(resolve) : setTimeout(resolve, 1)));
      }
    }
  };
  await runPublisher({
    ...phases,
    // Slow joiner: a subscription reaches the publisher some time after connect.
    greet: true,
    publish: (topic) => send([topic, pack(payload)]),
    report: () => (pub.noDrop ? { retries } : {}),
  });
} else if (system === 'pipebus-nats') {
  const { MessageBus, silentLogger } = await import('@pipebus/core');
  const { NatsTransport } = await import('@pipebus/transport-nats');
  const bus = new MessageBus(new NatsTransport({ servers: address }), { logger: silentLogger, localDelivery: false });
  // The transport's own backpressure (a flush once 4 MiB are unconfirmed) holds the loop back.
  await publishThrough(bus);
} else if (system === 'nats') {
  const { connect } = await import('@nats-io/transport-node');
  const nc = await connect({ servers: address, name: 'bench-publisher' });
  onStop(() => nc.close());
  // nc.publish() only buffers in memory; a flush (PING/PONG: the server has
  // processed everything before it) every 1 MiB or 1000 messages bounds that buffer.
  const flushEvery = Math.max(1, Math.min(1000, Math.floor((1 << 20) / Math.max(1, payload.length))));
  let sinceFlush = 0;
  await runPublisher({
    ...phases,
    publish: (topic) => {
      nc.publish(topic, pack(payload));
      if (++sinceFlush >= flushEvery) {
        sinceFlush = 0;
        return nc.flush();
      }
    },
    settle: () => nc.flush(),
  });
} else if (system === 'node-ipc') {
  const { IPC } = createRequire(import.meta.url)('node-ipc');
  const ipc = new IPC();
  Object.assign(ipc.config, { id: 'bench', silent: true, maxConnections: 1000 });
  let enough;
  const allThere = new Promise((resolve) => (enough = resolve));
  const sockets = new Set();
  await new Promise((resolve) => {
    ipc.serve(address, () => {
      ipc.server.on('connect', (socket) => {
        sockets.add(socket);
        if (sockets.size >= subscribers) enough();
      });
      resolve();
    });
    ipc.server.start();
  });
  onStop(() => ipc.server.stop());
  // broadcast() writes to every socket and returns nothing: node-ipc has no
  // backpressure of its own, so the publisher waits for 'drain' on the sockets
  // itself whenever one holds more than 1 MiB, to keep memory bounded (and the
  // subscribers' receive buffers short: node-ipc re-scans its whole buffer per chunk).
  const LIMIT = 1 << 20;
  const drain = (socket) =>
    new Promise((resolve) => {
      const done = () => {
        socket.off('drain', done).off('close', done);
        resolve();
      };
      socket.on('drain', done).on('close', done);
    });
  const full = () => {
    for (const s of sockets) if (s.writableLength > LIMIT && !s.destroyed) return true;
    return false;
  };
  const drained = () => Promise.all([...sockets].filter((s) => s.writableLength > LIMIT && !s.destroyed).map(drain));
  await runPublisher({
    ...phases,
    publish: (topic) => {
      ipc.server.broadcast(topic, payload);
      if (full()) return drained();
    },
    prepare: () => allThere,
    settle: drained,
  });
} else {
  throw new Error(`unknown system '${system}'`);
}
