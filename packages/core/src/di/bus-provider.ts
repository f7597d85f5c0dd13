import type { ContainerInstance, Token } from 'typedi';
import { typedi } from './load-typedi.js';
import { MessageBus } from '../bus/index.js';
import type { MessageBusOptions } from '../bus/index.js';
import { BusError } from '../errors/index.js';
import type { Transport } from '../transport/index.js';

/**
 * The transport the container's {@link MessageBus} is built on. Set it once
 * at start-up; a unit test swaps in the mock with one line:
 *
 * ```ts
 * Container.set(TRANSPORT, new MockNetwork().listen('svc'));
 * ```
 */
export const TRANSPORT: Token<Transport> = new typedi.Token<Transport>('pipebus:transport');

/** Optional {@link MessageBusOptions} for the container's bus. */
export const BUS_OPTIONS: Token<MessageBusOptions> = new typedi.Token<MessageBusOptions>('pipebus:bus-options');

/**
 * Registers {@link MessageBus} in `container` (the global one by default) so
 * that services receive it by injection, built on first use from
 * {@link TRANSPORT} and {@link BUS_OPTIONS}. Importing `@pipebus/core/di`
 * already does this for the global container; call it for scoped ones.
 */
export function provideMessageBus(container: ContainerInstance = typedi.Container.of()): void {
  container.set({
    id: MessageBus,
    factory: (scope: ContainerInstance) => {
      if (!scope.has(TRANSPORT)) {
        throw new BusError(
          'INVALID_ARGUMENT',
          'no transport registered for the MessageBus: call Container.set(TRANSPORT, yourTransport) before the first service that injects the bus is created',
        );
      }
      const options = scope.has(BUS_OPTIONS) ? scope.get(BUS_OPTIONS) : undefined;
      return new MessageBus(scope.get(TRANSPORT), options);
    },
  });
}

provideMessageBus();
