import { afterEach, describe, expect, it } from '@jest/globals';
import { MockNetwork } from '@pipebus/transport-mock';
import { Container } from 'typedi';
import { BUS_OPTIONS, TRANSPORT, provideMessageBus } from '@pipebus/core/di';
import { BusError, MessageBus, silentLogger } from '@pipebus/core';

afterEach(async () => {
  if (Container.has(TRANSPORT)) await Container.get(MessageBus).close().catch(() => {});
  Container.reset();
  Container.remove([TRANSPORT, BUS_OPTIONS]);
});

describe('typedi integration', () => {
  it('builds the MessageBus from the TRANSPORT token, once per container', async () => {
    const network = new MockNetwork();
    const transport = network.listen('svc');
    Container.set(TRANSPORT, transport);
    Container.set(BUS_OPTIONS, { logger: silentLogger, clock: network.clock });
    const bus = Container.get(MessageBus);
    expect(bus).toBeInstanceOf(MessageBus);
    expect(bus.transport).toBe(transport);
    expect(Container.get(MessageBus)).toBe(bus);
  });

  it('says what to do when no transport was registered', () => {
    let error: unknown;
    try {
      Container.get(MessageBus);
    } catch (e) {
      error = e;
    }
    expect(BusError.is(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toContain('Container.set(TRANSPORT');
  });

  it('registers in a scoped container too', async () => {
    const scoped = Container.of('pipebus-test-scope');
    provideMessageBus(scoped);
    const network = new MockNetwork();
    scoped.set(TRANSPORT, network.listen('scoped'));
    const bus = scoped.get(MessageBus);
    expect(bus.transport).toBe(scoped.get(TRANSPORT));
    await bus.close();
    Container.reset('pipebus-test-scope');
  });
});
