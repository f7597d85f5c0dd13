// An in-memory loop between two transports, shared by the bench/core rows:
// each frame goes to the other side on a microtask, with no sockets and no
// copies, so what is measured is the bus (and what sits on it).
import { Transport } from '@pipebus/core/transport-kit';

class LoopTransport extends Transport {
  capabilities = { duplex: true, broadcast: false, maxFrameSize: 1 << 24, reliable: true, ordered: true };
  other;
  peer;
  constructor(id) {
    super();
    this.peer = { id };
  }
  async doStart() {}
  doSend(frame) {
    const other = this.other;
    queueMicrotask(() => other.emitFrame({ data: frame, peer: this.peer }));
    return Promise.resolve();
  }
  async doClose() {}
}

/** Two transports wired to each other: `[client side, server side]`. */
export function loop() {
  const a = new LoopTransport('client');
  const b = new LoopTransport('server');
  a.other = b;
  b.other = a;
  return [a, b];
}
