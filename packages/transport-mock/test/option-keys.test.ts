import { describe, expect, it } from '@jest/globals';
import { BusError } from '@pipebus/core';
import { MockNetwork } from '@pipebus/transport-mock';
import { thrown } from '@pipebus/test-support';

// A misspelt option used to be ignored silently (issue 15): it fails now,
// naming the key that was meant.
describe('unknown option keys', () => {
  const network = new MockNetwork();
  it.each([
    ['new MockNetwork()', () => new MockNetwork({ sead: 2 } as never), "MockNetwork: unknown option 'options.sead'; did you mean 'seed'?"],
    ['listen()', () => network.listen('a', { linkCapasity: 2 } as never), "MockNetwork.listen(): unknown option 'options.linkCapasity'; did you mean 'linkCapacity'?"],
    ['connect()', () => network.connect('a', { waitMS: 2, wait: 1 } as never), "MockNetwork.connect(): unknown option 'options.waitMS'; did you mean 'waitMs'?"],
    ['join()', () => network.join('g', { nmae: 'x' } as never), "MockNetwork.join(): unknown option 'options.nmae'; did you mean 'name'?"],
  ])('fail %s with the closest valid key', (_what, make, message) => {
    const error = thrown(make, BusError);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(message);
  });
});
