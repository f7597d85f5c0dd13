export { BUS_OPTIONS, TRANSPORT, provideMessageBus } from './bus-provider.js';
