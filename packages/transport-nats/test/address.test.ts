// resolveNatsAddress and checkNatsPrefix: the pure checks a tool (the CLI)
// makes before opening anything, so that a malformed address is the user's
// mistake (INVALID_ARGUMENT with advice), never a failed connection.
import { describe, expect, it } from '@jest/globals';
import { BusError } from '@pipebus/core';
import { thrown } from '@pipebus/test-support';
import { checkNatsPrefix, resolveNatsAddress } from '@pipebus/transport-nats';

describe('resolveNatsAddress', () => {
  it('gives the servers of one address, or of several comma-separated', () => {
    expect(resolveNatsAddress('nats://127.0.0.1:4222').servers).toEqual(['nats://127.0.0.1:4222']);
    expect(resolveNatsAddress('nats://a:4222, nats://b:4223').servers).toEqual(['nats://a:4222', 'nats://b:4223']);
    expect(resolveNatsAddress('NATS://host').servers).toEqual(['NATS://host']);
  });

  it.each([
    ['another scheme', 'pipe://x', /is not a NATS address; write nats:\/\/HOST:PORT/],
    ['a bare host:port', '127.0.0.1:4222', /is not a NATS address/],
    ['a list item without its scheme', 'nats://a:1,b:2', /"b:2" in .* is not a NATS URL; write each server as nats:\/\/HOST:PORT/],
    ['a port out of range', 'nats://127.0.0.1:99999', /is not a URL; write nats:\/\/HOST:PORT/],
    ['no host', 'nats://:4222', /is not a URL/],
    ['a path', 'nats://127.0.0.1:4222/x', /has a path or query/],
    ['a query', 'nats://127.0.0.1:4222?a=1', /has a path or query/],
    ['an empty item', 'nats://a:1,', /"" in .* is not a NATS URL/],
  ])('refuses %s with INVALID_ARGUMENT', (_what, address, message) => {
    const error = thrown(() => resolveNatsAddress(address), BusError);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
  });
});

describe('checkNatsPrefix', () => {
  it('returns a valid prefix and refuses one NATS would misread, as the transport option does', () => {
    expect(checkNatsPrefix('acme.orders')).toBe('acme.orders');
    for (const bad of ['a.*', 'a..b', 'my bus', '', 'a.>']) {
      const error = thrown(() => checkNatsPrefix(bad), BusError);
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(/'prefix' must be dot-separated NATS tokens/);
    }
  });
});
