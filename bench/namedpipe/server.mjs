// Echo server for bench/namedpipe, one process per system under test.
//   node server.mjs bus ADDRESS CODEC   pipebus MessageBus over NamedPipeServer
//   node server.mjs raw PATH            node:net, u32 length prefix + msgpackr (the floor Node reaches)
// Prints "ready" on stdout once it accepts connections.
import net from 'node:net';
import { Packr } from 'msgpackr';
import { MessageBus, msgpackCodec, msgpackCompatCodec, silentLogger } from '@pipebus/core';
import { NamedPipeServer } from '@pipebus/transport-namedpipe';

const [mode, address, codecName] = process.argv.slice(2);

if (mode === 'bus') {
  const codec = codecName === 'compat' ? msgpackCompatCodec : msgpackCodec;
  const bus = new MessageBus(new NamedPipeServer({ address, logger: silentLogger }), { codec, logger: silentLogger, defaultTimeout: Infinity });
  bus.handle('echo', (payload) => payload);
  await bus.start();
} else {
  // The same framing work as the transport: u32 big-endian length, msgpack body [id, payload].
  const packr = new Packr({ useRecords: false });
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      let offset = 0;
      socket.cork();
      while (buffered.length - offset >= 4) {
        const length = buffered.readUInt32BE(offset);
        if (buffered.length - offset - 4 < length) break;
        const [id, payload] = packr.unpack(buffered.subarray(offset + 4, offset + 4 + length));
        offset += 4 + length;
        const body = packr.pack([id, payload]);
        const header = Buffer.allocUnsafe(4);
        header.writeUInt32BE(body.length);
        socket.write(header);
        socket.write(body);
      }
      process.nextTick(() => socket.uncork());
      buffered = buffered.subarray(offset);
    });
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(address, resolve));
}
console.log('ready');
// Exit through process.exit so that --cpu-prof writes its profile.
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => process.exit(0));
