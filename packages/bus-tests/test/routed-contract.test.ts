// The routed transport contract over the in-memory routed network, which
// routes by interest as NATS does by subject. transport-nats runs the same
// suite over a real nats-server.
import { describeRoutedTransportContract } from '@pipebus/core/testkit';
import { RoutedLoopNetwork } from '../src/index.js';

describeRoutedTransportContract(
  'routed loop with no responders',
  () => {
    const network = new RoutedLoopNetwork({ noResponders: true });
    return { a: network.endpoint(), b: network.endpoint(), c: network.endpoint() };
  },
  { noResponders: true },
);

// A network that lets an unanswered request vanish: the NO_HANDLER case is reported skipped.
describeRoutedTransportContract('routed loop without no responders', () => {
  const network = new RoutedLoopNetwork();
  return { a: network.endpoint(), b: network.endpoint(), c: network.endpoint() };
});
