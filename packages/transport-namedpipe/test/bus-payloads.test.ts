import { MessageBus, msgpackCodec, msgpackCompatCodec, silentLogger, type Codec } from '@pipebus/core';
import { makeRuntimeDir, Pool, uniqueAddress, within } from './helpers.js';

// Payload types must survive the named pipe whatever the framing did with the
// bytes: frames that arrive whole in one read are decoded in place (views of
// the read), frames split across reads are assembled in a buffer of their own.
const runtimeDir = makeRuntimeDir();
const pool = new Pool(runtimeDir);
afterEach(() => pool.closeAll());

async function echoPair(codec: Codec): Promise<MessageBus> {
  const address = uniqueAddress(`payloads-${codec.name}`);
  const server = new MessageBus(pool.server(address), { codec, logger: silentLogger });
  server.handle('echo', (payload) => payload);
  await server.start();
  const client = new MessageBus(pool.client(address), { codec, logger: silentLogger });
  pool.buses(client, server);
  await client.start();
  return client;
}

describe.each([
  ['msgpack', msgpackCodec],
  ['msgpack-compat', msgpackCompatCodec],
])('bus payloads over a named pipe (%s codec)', (_name, codec) => {
  it('a Buffer comes back a Buffer and a Uint8Array a Uint8Array, many frames per read and one frame over many reads', async () => {
    const client = await echoPair(codec);
    // 200 small requests in one tick share reads on both sides; 1 MiB spans many reads.
    const small = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? Buffer.from(`buffer ${i}`) : Uint8Array.of(i & 0xff, 1, 2)));
    const large = [Buffer.alloc(1 << 20, 7), new Uint8Array(1 << 20).fill(9)];
    const sent = [...small, ...large];
    const back = await within('the echoes', Promise.all(sent.map((payload) => client.request<Uint8Array>('echo', payload))));
    back.forEach((value, i) => {
      const original = sent[i]!;
      expect(Buffer.isBuffer(value)).toBe(Buffer.isBuffer(original));
      expect(value).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(value).equals(Buffer.from(original))).toBe(true);
    });
  });

  it('a Buffer payload kept by the receiver is a copy in memory of its own or in Node\'s Buffer pool, not a view of the read it came in', async () => {
    const client = await echoPair(codec);
    // Sent in one tick, so that the answers share reads: a view would carry the whole read along.
    const values = await within('the echoes', Promise.all(Array.from({ length: 50 }, (_, i) => client.request<Buffer>('echo', Buffer.from(`payload ${i}`)))));
    for (const value of values) {
      expect(Buffer.isBuffer(value)).toBe(true);
      // Small ones come from the pool, as Buffer.allocUnsafe's do (the envelope's fast path).
      expect([value.byteLength, Buffer.poolSize]).toContain(value.buffer.byteLength);
    }
    // Copies: changing one leaves the others as they were.
    values[0]!.fill(0);
    expect(values.slice(1).map((value, i) => value.toString())).toEqual(Array.from({ length: 49 }, (_, i) => `payload ${i + 1}`));
  });
});
