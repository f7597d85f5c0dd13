// The transport contract under vitest, over the mock transport. The packages
// resolve through node_modules to their built dist (vitest.config.ts maps
// nothing), as in a user's project. One run passes vitest's functions, the
// other finds them as globals (the config turns `globals` on). Run by
// `pnpm run test:runners` (part of `pnpm test`) after the build.
import { afterEach, beforeEach, describe, it } from 'vitest';
import { describeRoutedTransportContract, describeTransportContract } from '@pipebus/core/testkit';
import { MockNetwork } from '@pipebus/transport-mock';
import { RoutedLoopNetwork } from '../../packages/bus-tests/src/index.js';

describeTransportContract(
  'vitest (runner passed) / mock named pipe (listen/connect)',
  () => {
    const network = new MockNetwork();
    return { a: network.listen('contract'), b: network.connect('contract') };
  },
  { runner: { describe, it, beforeEach, afterEach } },
);

describeTransportContract('vitest (globals) / mock mailslot (join/join)', () => {
  const network = new MockNetwork();
  return { a: network.join('contract'), b: network.join('contract') };
});

let delayed: MockNetwork;
describeTransportContract(
  'vitest (runner passed) / mock named pipe with 5 ms virtual delay and backpressure',
  () => {
    delayed = new MockNetwork({ linkCapacity: 4 });
    delayed.setFaults({ delay: 5 });
    return { a: delayed.listen('slow'), b: delayed.connect('slow') };
  },
  { runner: { describe, it, beforeEach, afterEach }, settle: () => delayed.clock.advance(1) },
);

// The routed contract over the in-memory routed network of the bus tests
// (TypeScript source, which vitest compiles; it reaches core's built dist
// through node_modules like the suite). Not under node:test: Node 20 cannot
// import a .ts file without a loader.
describeRoutedTransportContract(
  'vitest (runner passed) / routed loop with no responders',
  () => {
    const network = new RoutedLoopNetwork({ noResponders: true });
    return { a: network.endpoint(), b: network.endpoint(), c: network.endpoint() };
  },
  { runner: { describe, it, beforeEach, afterEach }, noResponders: true },
);
