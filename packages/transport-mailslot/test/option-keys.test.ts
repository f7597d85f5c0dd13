import { describe, expect, it } from '@jest/globals';
import { BusError } from '@pipebus/core';
import { MailslotTransport } from '@pipebus/transport-mailslot';
import { thrown } from '@pipebus/test-support';

// A misspelt option used to be ignored silently (issue 15): it now fails at
// construction, before any OS call, naming the key that was meant.
describe('unknown option keys', () => {
  it('fail MailslotTransport with the closest valid key', () => {
    const error = thrown(() => new MailslotTransport({ address: 'mailslot://g', sendTimeout: 5 } as never), BusError);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain("MailslotTransport: unknown option 'options.sendTimeout'; did you mean 'sendTimeoutMs'?");
  });
});
