import { describe, expect, it } from '@jest/globals';
import { MockNetwork } from '@pipebus/transport-mock';
import { Observable, firstValueFrom, map } from 'rxjs';
import { MessageBus, silentLogger } from '@pipebus/core';

// The core imports rxjs pieces from their own modules (src/rx.ts); what it
// hands out must still be the Observable users import from 'rxjs'.
describe('rxjs interop', () => {
  it("hands out the Observable class of 'rxjs' itself, which takes its operators", async () => {
    const network = new MockNetwork();
    const bus = new MessageBus(network.listen('rx'), { clock: network.clock, logger: silentLogger });
    try {
      const events = bus.subscribe<number>('a.b');
      expect(events).toBeInstanceOf(Observable);
      expect(bus.transport.state$).toBeInstanceOf(Observable);
      const doubled = firstValueFrom(events.pipe(map((e) => e.payload * 2)));
      await bus.publish('a.b', 21);
      await expect(doubled).resolves.toBe(42);
    } finally {
      await bus.close();
    }
  });
});
