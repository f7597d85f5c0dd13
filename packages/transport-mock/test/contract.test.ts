import { describeTransportContract } from '@pipebus/core/testkit';
import { MockNetwork } from '@pipebus/transport-mock';

describeTransportContract('mock named pipe (listen/connect)', () => {
  const network = new MockNetwork();
  return { a: network.listen('contract'), b: network.connect('contract') };
});

describeTransportContract('mock mailslot (join/join)', () => {
  const network = new MockNetwork();
  return { a: network.join('contract'), b: network.join('contract') };
});

// The same contract with every frame delayed in virtual time: the suite's
// settle hook pumps the clock, as a test of a slow real transport would wait.
let delayed: MockNetwork;
describeTransportContract(
  'mock named pipe with 5 ms virtual delay and backpressure',
  () => {
    delayed = new MockNetwork({ linkCapacity: 4 });
    delayed.setFaults({ delay: 5 });
    return { a: delayed.listen('slow'), b: delayed.connect('slow') };
  },
  { settle: () => delayed.clock.advance(1) },
);
