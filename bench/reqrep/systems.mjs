// The Node request/response systems of bench/reqrep (and bench/namedpipe): for
// each mode, an echo server and a client whose `call(payload)` resolves with
// the echoed bytes. Libraries are imported lazily so that one that fails to
// load only takes its own system down.
//
//   raw       node:net, u32 big-endian length prefix + msgpackr body [id, payload]
//   bus       pipebus MessageBus over the named-pipe transport (codec default|compat)
//   node-ipc  node-ipc 9.2.1 over a unix socket, its default JSON messages
//   zeromq    zeromq.js 6 ROUTER (server) / DEALER (client) over ipc://, frames [id, payload]
//   nats      nats.js direct: request/reply on subject bench.echo through a nats-server (address = nats:// URL),
//             with @nats-io/transport-node, the client transport-nats itself uses
//   bus-nats  pipebus MessageBus over @pipebus/transport-nats (dist), the same nats-server

import { settledMemory } from '../lib/memory.mjs';

const SUBJECT = 'bench.echo';

/**
 * The modules each mode's client and server import: loading them first lets
 * the processes tell the heap of the library's code from the heap of one idle
 * connection (the factories' own imports then come from the module cache).
 */
export const libraries = {
  raw: ['node:net', 'msgpackr'],
  bus: ['@pipebus/core', '@pipebus/transport-namedpipe'],
  'node-ipc': ['node-ipc'],
  zeromq: ['zeromq'],
  nats: ['@nats-io/transport-node'],
  'bus-nats': ['@pipebus/core', '@pipebus/transport-nats'],
};

/** Imports a mode's libraries (see {@link libraries}). */
export async function loadLibraries(mode) {
  await Promise.all((libraries[mode] ?? []).map((name) => import(name)));
}

// Client and server run with --expose-gc; they take settledMemory from here.
export { settledMemory };

/** The answer to "mem": memory now, and as it was bare and with the library loaded (both {@link settledMemory}). */
export function memoryReport(bare, loaded) {
  return {
    ...settledMemory(),
    bareHeapUsedBytes: bare.heapUsedBytes,
    bareRssBytes: bare.rssBytes,
    loadedHeapUsedBytes: loaded.heapUsedBytes,
    loadedRssBytes: loaded.rssBytes,
  };
}

/** u32 big-endian length-prefixed frames: calls `onFrame(body)` for each whole one. */
function frameReader(onFrame) {
  let buffered = Buffer.alloc(0);
  return (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    let offset = 0;
    while (buffered.length - offset >= 4) {
      const length = buffered.readUInt32BE(offset);
      if (buffered.length - offset - 4 < length) break;
      onFrame(buffered.subarray(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    buffered = buffered.subarray(offset);
  };
}

function writeFrame(socket, body) {
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(body.length);
  socket.write(header);
  socket.write(body);
}

async function busCodec(name) {
  const core = await import('@pipebus/core');
  return name === 'compat' ? core.msgpackCompatCodec : core.msgpackCodec;
}

export const servers = {
  // The same framing work as the transport; writes of one read are corked into one syscall.
  async raw(address) {
    const net = await import('node:net');
    const { Packr } = await import('msgpackr');
    const packr = new Packr({ useRecords: false });
    const server = net.createServer((socket) => {
      socket.setNoDelay(true);
      const read = frameReader((body) => writeFrame(socket, packr.pack(packr.unpack(body))));
      socket.on('data', (chunk) => {
        socket.cork();
        read(chunk);
        process.nextTick(() => socket.uncork());
      });
      socket.on('error', () => {});
    });
    await new Promise((resolve, reject) => server.once('error', reject).listen(address, resolve));
    return { close: () => new Promise((resolve) => server.close(resolve)) };
  },

  async bus(address, codecName) {
    const { MessageBus, silentLogger } = await import('@pipebus/core');
    const { NamedPipeServer } = await import('@pipebus/transport-namedpipe');
    const codec = await busCodec(codecName);
    const bus = new MessageBus(new NamedPipeServer({ address, logger: silentLogger }), { codec, logger: silentLogger, defaultTimeout: Infinity });
    bus.handle('echo', (payload) => payload);
    await bus.start();
    return { close: () => bus.close() };
  },

  // What the node-ipc README shows: ipc.serve + ipc.server.on(event) + ipc.server.emit(socket, event, data).
  async 'node-ipc'(address) {
    const { default: ipcModule } = await import('node-ipc');
    const ipc = new ipcModule.IPC();
    ipc.config.id = 'bench';
    ipc.config.silent = true;
    await new Promise((resolve) => {
      ipc.serve(address, () => {
        ipc.server.on('echo', (data, socket) => ipc.server.emit(socket, 'echo', data));
      });
      ipc.server.on('start', resolve);
      ipc.server.start();
    });
    return { close: async () => ipc.server.stop() };
  },

  async zeromq(address) {
    const zmq = await import('zeromq');
    const router = new zmq.Router();
    await router.bind(address);
    void (async () => {
      try {
        // [routing id, request id, payload] comes in and goes straight back.
        for await (const frames of router) await router.send(frames);
      } catch (error) {
        if (!router.closed) throw error;
      }
    })();
    return { close: async () => router.close() };
  },

  async nats(url) {
    const { connect } = await import('@nats-io/transport-node');
    const nc = await connect({ servers: url });
    nc.subscribe(SUBJECT, { callback: (error, msg) => !error && msg.respond(msg.data) });
    await nc.flush(); // the subscription is known to the server before "ready"
    return { close: () => nc.close() };
  },

  // What a user moving a service to NATS writes: the same bus and handler, a NatsTransport.
  async 'bus-nats'(url) {
    const { MessageBus, silentLogger } = await import('@pipebus/core');
    const { NatsTransport } = await import('@pipebus/transport-nats');
    const bus = new MessageBus(new NatsTransport({ servers: url }), { logger: silentLogger, defaultTimeout: Infinity });
    bus.handle('echo', (payload) => payload);
    await bus.start();
    return { close: () => bus.close() };
  },
};

export const clients = {
  async raw(address) {
    const net = await import('node:net');
    const { Packr } = await import('msgpackr');
    const packr = new Packr({ useRecords: false });
    const socket = net.connect(address);
    socket.setNoDelay(true);
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const pending = new Map();
    let nextId = 1;
    socket.on(
      'data',
      frameReader((body) => {
        const [id, value] = packr.unpack(body);
        const resolve = pending.get(id);
        pending.delete(id);
        resolve(value);
      }),
    );
    let corked = false;
    const uncork = () => {
      corked = false;
      socket.uncork();
    };
    return {
      call: (payload) =>
        new Promise((resolve) => {
          const id = nextId++;
          pending.set(id, resolve);
          // One write syscall per tick however many requests were issued in it.
          if (!corked) {
            corked = true;
            socket.cork();
            process.nextTick(uncork);
          }
          writeFrame(socket, packr.pack([id, payload]));
        }),
      close: async () => socket.destroy(),
    };
  },

  async bus(address, codecName) {
    const { MessageBus, silentLogger } = await import('@pipebus/core');
    const { NamedPipeClient } = await import('@pipebus/transport-namedpipe');
    const codec = await busCodec(codecName);
    const bus = new MessageBus(new NamedPipeClient({ address, connectTimeout: 5000, logger: silentLogger }), { codec, logger: silentLogger, defaultTimeout: Infinity });
    await bus.start();
    return { call: (payload) => bus.request('echo', payload), close: () => bus.close() };
  },

  // JSON messages: a Buffer goes out as {"type":"Buffer","data":[7,7,...]} (its toJSON)
  // and is turned back into a Buffer on arrival, as a user sending bytes would do.
  async 'node-ipc'(address) {
    const { default: ipcModule } = await import('node-ipc');
    const ipc = new ipcModule.IPC();
    ipc.config.id = `bench-client-${process.pid}`;
    ipc.config.silent = true;
    ipc.config.maxRetries = 0; // a server that goes away ends the client instead of retrying forever
    const pending = new Map();
    let nextId = 1;
    const server = await new Promise((resolve, reject) => {
      ipc.connectTo('bench', address, () => {
        const of = ipc.of.bench;
        of.on('connect', () => resolve(of));
        of.on('error', reject);
        of.on('echo', ({ id, payload }) => {
          const done = pending.get(id);
          pending.delete(id);
          done(Buffer.from(payload.data));
        });
      });
    });
    return {
      call: (payload) =>
        new Promise((resolve) => {
          const id = nextId++;
          pending.set(id, resolve);
          // A Buffer view of the bytes, so that JSON carries them as its toJSON says.
          server.emit('echo', { id, payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength) });
        }),
      close: async () => ipc.disconnect('bench'),
    };
  },

  async zeromq(address) {
    const zmq = await import('zeromq');
    const dealer = new zmq.Dealer();
    dealer.connect(address);
    const pending = new Map();
    let nextId = 1;
    void (async () => {
      try {
        for await (const [idFrame, payload] of dealer) {
          const id = idFrame.readUInt32LE(0);
          const done = pending.get(id);
          pending.delete(id);
          done(payload);
        }
      } catch (error) {
        if (!dealer.closed) throw error;
      }
    })();
    // zeromq.js 6 allows one send() in flight per socket, so requests queue here.
    const queue = [];
    let sending = false;
    const drain = async () => {
      sending = true;
      while (queue.length > 0) await dealer.send(queue.shift());
      sending = false;
    };
    return {
      call: (payload) =>
        new Promise((resolve) => {
          const id = nextId++;
          pending.set(id, resolve);
          const idFrame = Buffer.allocUnsafe(4);
          idFrame.writeUInt32LE(id);
          queue.push([idFrame, payload]);
          if (!sending) void drain();
        }),
      close: async () => dealer.close(),
    };
  },

  async nats(url) {
    const { connect } = await import('@nats-io/transport-node');
    const nc = await connect({ servers: url });
    return { call: async (payload) => (await nc.request(SUBJECT, payload, { timeout: 30_000 })).data, close: () => nc.close() };
  },

  async 'bus-nats'(url) {
    const { MessageBus, silentLogger } = await import('@pipebus/core');
    const { NatsTransport } = await import('@pipebus/transport-nats');
    const bus = new MessageBus(new NatsTransport({ servers: url }), { logger: silentLogger, defaultTimeout: Infinity });
    await bus.start();
    return { call: (payload) => bus.request('echo', payload), close: () => bus.close() };
  },
};
