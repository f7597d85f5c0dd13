// The transport contract under node's own test runner (`node --test`), over
// the mock transport, from the BUILT packages: `@pipebus/core/testkit` and
// `@pipebus/transport-mock` resolve through node_modules to their dist, as in
// a user's project. node:test defines no globals, so the runner is passed.
// Run by `pnpm run test:runners` (part of `pnpm test`) after the build.
import { afterEach, beforeEach, describe, it } from 'node:test';
import { describeTransportContract } from '@pipebus/core/testkit';
import { MockNetwork } from '@pipebus/transport-mock';

const runner = { describe, it, beforeEach, afterEach };

describeTransportContract(
  'node:test / mock named pipe (listen/connect)',
  () => {
    const network = new MockNetwork();
    return { a: network.listen('contract'), b: network.connect('contract') };
  },
  { runner },
);

describeTransportContract(
  'node:test / mock mailslot (join/join)',
  () => {
    const network = new MockNetwork();
    return { a: network.join('contract'), b: network.join('contract') };
  },
  { runner },
);

// Frames delayed in virtual time: the settle hook pumps the clock.
let delayed;
describeTransportContract(
  'node:test / mock named pipe with 5 ms virtual delay and backpressure',
  () => {
    delayed = new MockNetwork({ linkCapacity: 4 });
    delayed.setFaults({ delay: 5 });
    return { a: delayed.listen('slow'), b: delayed.connect('slow') };
  },
  { runner, settle: () => delayed.clock.advance(1) },
);
