/**
 * Helpers of the bus tests that other test folders may import too (the
 * testkit runners in `test/testkit-runners/`): only through this entry, as
 * the dependency rules require.
 */
export { NO_RESPONDERS_PEER, RoutedLoopNetwork, RoutedLoopTransport, routedLoop } from './routed-loop.js';
export type { RoutedLoopFault, RoutedLoopNetworkOptions } from './routed-loop.js';
