// Bad options fail at construction, with INVALID_ARGUMENT naming the option
// and what to write instead; nothing is connected or sent.
import { describe, expect, it } from '@jest/globals';
import { BusError } from '@pipebus/core';
import { thrown } from '@pipebus/test-support';
import { NatsTransport, type NatsTransportOptions } from '@pipebus/transport-nats';

function refused(options: unknown): BusError {
  return thrown(() => new NatsTransport(options as NatsTransportOptions), BusError);
}

describe('NatsTransport options', () => {
  it.each([
    ['no servers nor connection', {}, /exactly one of 'servers'/],
    ['both servers and connection', { servers: 'nats://127.0.0.1:4222', connection: { publish() {} } }, /exactly one of 'servers'/],
    ['a malformed URL', { servers: 'nats://[bad' }, /is not a URL; write nats:\/\/HOST:PORT/],
    ['a URL of another scheme', { servers: 'http://127.0.0.1:4222' }, /is not a NATS server URL/],
    ['an empty server list', { servers: [] }, /non-empty array/],
    ['a prefix with a wildcard', { servers: 'nats://127.0.0.1:4222', prefix: 'a.*' }, /'prefix' must be dot-separated NATS tokens/],
    ['a prefix with a space', { servers: 'nats://127.0.0.1:4222', prefix: 'my bus' }, /'prefix'/],
    ['a prefix with an empty token', { servers: 'nats://127.0.0.1:4222', prefix: 'a..b' }, /'prefix'/],
    ['a name with a dot', { servers: 'nats://127.0.0.1:4222', name: 'a.b' }, /'name' must be 1 to 64/],
    ['a tiny maxFrameSize', { servers: 'nats://127.0.0.1:4222', maxFrameSize: 10 }, /'maxFrameSize' must be an integer of at least 64/],
    ['an unknown key', { servers: 'nats://127.0.0.1:4222', prefx: 'a' }, /unknown option 'options.prefx'; did you mean 'prefix'\?/],
    ['a connection that is not one', { connection: {} }, /'connection' must be a NatsConnection/],
    ['an unknown reconnectBuffer key', { servers: 'nats://127.0.0.1:4222', reconnectBuffer: { maxByte: 1 } }, /unknown option 'options.reconnectBuffer.maxByte'; did you mean 'maxBytes'\?/],
    ['a fractional maxUnconfirmedBytes', { servers: 'nats://127.0.0.1:4222', maxUnconfirmedBytes: 1.5 }, /'maxUnconfirmedBytes' must be a non-negative integer/],
    ['a negative reconnectSettle', { servers: 'nats://127.0.0.1:4222', reconnectSettle: -1 }, /'reconnectSettle' must be a non-negative integer/],
  ])('refuses %s', (_what, options, message) => {
    const error = refused(options);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
  });

  it('takes host:port without a scheme, and a list of URLs', () => {
    expect(() => new NatsTransport({ servers: '127.0.0.1:4222' })).not.toThrow();
    expect(() => new NatsTransport({ servers: ['nats://a:4222', 'tls://b:4443'] })).not.toThrow();
  });

  it('fails start() with NOT_FOUND and advice when no server answers', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const transport = new NatsTransport({ servers: 'nats://127.0.0.1:1', connectOptions: { timeout: 2000 } });
    const error = await transport.start().then(() => undefined, (e: unknown) => e);
    expect(BusError.is(error, 'NOT_FOUND')).toBe(true);
    expect((error as BusError).message).toMatch(/no NATS server answered at nats:\/\/127\.0\.0\.1:1 .*is nats-server running there\?/);
    expect(transport.state).toBe('idle');
    await transport.close();
  });
});
