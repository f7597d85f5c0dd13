import { afterAll } from '@jest/globals';
import { describeTransportContract } from '@pipebus/core/testkit';
import { MailslotTransport } from '@pipebus/transport-mailslot';
import { privateRuntimeDir, uniqueGroup, uniqueSlot } from './helpers.js';

const runtime = privateRuntimeDir();
afterAll(() => runtime.dispose());

const oneWay = { duplex: false, broadcast: true, reliable: true, ordered: true } as const;
const runtimeDir = runtime.dir;

describeTransportContract(
  'mailslot group (both members)',
  () => {
    const address = uniqueGroup('contract');
    return { a: new MailslotTransport({ address, runtimeDir }), b: new MailslotTransport({ address, runtimeDir }) };
  },
  { capabilities: oneWay, timeoutMs: 10_000 },
);

describeTransportContract(
  'mailslot group with 424-byte frames (the domain broadcast frame size)',
  () => {
    const address = uniqueGroup('contract424');
    return {
      a: new MailslotTransport({ address, runtimeDir, mode: 'read', frameSize: 424 }),
      b: new MailslotTransport({ address, runtimeDir, mode: 'write', frameSize: 424 }),
    };
  },
  { capabilities: oneWay, timeoutMs: 10_000 },
);

describeTransportContract(
  'mailslot single raw slot (read / write)',
  () => {
    const address = uniqueSlot(runtimeDir, 'contract');
    return {
      a: new MailslotTransport({ address, mode: 'read', raw: true }),
      b: new MailslotTransport({ address, mode: 'write', raw: true }),
    };
  },
  { capabilities: oneWay, timeoutMs: 10_000 },
);
