// Subscriber of bench/pubsub: subscribes the way a user of SYSTEM would and
// decodes every message before counting it (what an app does; see index.mjs).
//   node subscriber.mjs SYSTEM ADDRESS
// Prints "ready" once a message published now would reach it, "warm" at the
// end of the warm-up, then one JSON line {received, decodedBytes, firstAt, lastAt} (see tally()).
import { createRequire } from 'node:module';
import { onStop, tally } from './child.mjs';

const [system, address] = process.argv.slice(2);

if (system === 'pipebus-server' || system === 'pipebus-namedpipe' || system === 'pipebus-hub') {
  // The same client for both layouts: the server is the publisher's bus, or a relay hub.
  const { MessageBus, silentLogger } = await import('@pipebus/core');
  const { NamedPipeClient } = await import('@pipebus/transport-namedpipe');
  const client = new NamedPipeClient({ address, connectTimeout: 10_000, reconnect: false, logger: silentLogger });
  const bus = new MessageBus(client, { logger: silentLogger });
  // A server or hub drops a client that does not read fast enough: its report then says so.
  let opened = false;
  let link;
  client.state$.subscribe((state) => {
    if (state === 'open') opened = true;
    else if (opened) link ??= `${state} at ${Date.now()}`;
  });
  const t = tally({ extra: () => (link === undefined ? {} : { link }) });
  // The bus has decoded the envelope and its payload: event.payload is the Buffer.
  bus.subscribe('bench.>').subscribe((event) => t.topic(event.topic, event.payload));
  onStop(() => bus.close());
  await bus.start();
  console.log('ready');
} else if (system === 'zeromq' || system === 'zeromq-nodrop') {
  const zmq = await import('zeromq');
  const { unpack } = await import('msgpackr');
  const sub = new zmq.Subscriber({ linger: 0 });
  sub.connect(address);
  sub.subscribe('bench.', 'hello');
  const t = tally();
  onStop(() => sub.close());
  let ready = false;
  for await (const [topic, body] of sub) {
    // Topics are told apart by one byte, as a user matching on a prefix would: bench.[d]ata, [s]ync, [e]nd.
    const kind = topic[6];
    if (kind === 0x64) t.data(unpack(body));
    else if (kind === 0x73) t.sync(unpack(body));
    else if (kind === 0x65) t.end(unpack(body));
    else if (topic.length === 5 && !ready) {
      // The first hello proves the subscription reached the publisher (slow joiner).
      ready = true;
      sub.unsubscribe('hello');
      console.log('ready');
    } else if (topic.length > 5) unpack(body); // bench.warm: decoded like the rest
  }
} else if (system === 'pipebus-nats') {
  const { MessageBus, silentLogger } = await import('@pipebus/core');
  const { NatsTransport } = await import('@pipebus/transport-nats');
  const bus = new MessageBus(new NatsTransport({ servers: address }), { logger: silentLogger });
  const t = tally();
  bus.subscribe('bench.>').subscribe((event) => t.topic(event.topic, event.payload));
  onStop(() => bus.close());
  // Once started, the subscription is on the server (and the warm-up's sync markers prove it either way).
  await bus.start();
  console.log('ready');
} else if (system === 'nats') {
  const { connect } = await import('@nats-io/transport-node');
  const { unpack } = await import('msgpackr');
  const nc = await connect({ servers: address, name: 'bench-subscriber' });
  // The server cuts a slow consumer off; the client says so in its status stream.
  let slow;
  const t = tally({ extra: () => (slow === undefined ? {} : { status: slow }) });
  (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'error' || s.type === 'slowConsumer') slow ??= `${s.type}: ${s.error?.message ?? s.server ?? s.sub?.getSubject?.() ?? ''}`;
    }
  })();
  nc.subscribe('bench.>', { callback: (_error, msg) => t.topic(msg.subject, unpack(msg.data)) });
  onStop(() => nc.close());
  // The flush's PONG comes after the server processed the SUB: from now on it routes to us.
  await nc.flush();
  console.log('ready');
} else if (system === 'node-ipc') {
  const { IPC } = createRequire(import.meta.url)('node-ipc');
  const ipc = new IPC();
  Object.assign(ipc.config, { id: `sub-${process.pid}`, silent: true, maxRetries: 0 });
  const t = tally();
  ipc.connectTo('bench', address, () => {
    const server = ipc.of.bench;
    server.on('connect', () => console.log('ready'));
    // node-ipc parses each JSON message and dispatches by event name itself.
    server.on('bench.data', t.data);
    server.on('bench.sync', t.sync);
    server.on('bench.end', t.end);
  });
  onStop(() => ipc.disconnect('bench'));
} else {
  throw new Error(`unknown system '${system}'`);
}
