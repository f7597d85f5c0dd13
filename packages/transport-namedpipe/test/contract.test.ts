import { describeTransportContract } from '@pipebus/core/testkit';
import { silentLogger } from '@pipebus/core';
import { NamedPipeClient, NamedPipeServer } from '@pipebus/transport-namedpipe';
import { makeRuntimeDir, uniqueAddress } from './helpers.js';

const runtimeDir = makeRuntimeDir();
const dir = runtimeDir === '' ? {} : { runtimeDir };

// A 1 MiB frame limit keeps the "exactly maxFrameSize" case quick (under Wine
// each round trip goes through wineserver); the limit logic is the same at 16 MiB.
describeTransportContract(
  'named pipe (server a, client b)',
  () => {
    const address = uniqueAddress('contract');
    return {
      a: new NamedPipeServer({ address, maxFrameSize: 1 << 20, logger: silentLogger, ...dir }),
      b: new NamedPipeClient({ address, maxFrameSize: 1 << 20, logger: silentLogger, ...dir }),
    };
  },
  { capabilities: { duplex: true, broadcast: false, reliable: true, ordered: true }, timeoutMs: 10_000 },
);
