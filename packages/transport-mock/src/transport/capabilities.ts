import type { TransportCapabilities } from '@pipebus/core';

/**
 * What a named pipe offers, and what `MockNetwork.listen` / `connect`
 * transports report by default: a reliable, ordered, duplex byte stream
 * framed by pipebus, with frames up to 1 MiB (`listen` adds `server: true`).
 */
export const NAMED_PIPE_CAPABILITIES: TransportCapabilities = Object.freeze({
  duplex: true,
  broadcast: false,
  maxFrameSize: 1024 * 1024,
  reliable: true,
  ordered: true,
});

/**
 * What a mailslot offers, and what `MockNetwork.join` transports report by
 * default: one-way datagrams to every reader, at most 424 bytes (the limit
 * for a domain broadcast), with no promise of delivery or order.
 */
export const MAILSLOT_CAPABILITIES: TransportCapabilities = Object.freeze({
  duplex: false,
  broadcast: true,
  maxFrameSize: 424,
  reliable: false,
  ordered: false,
});
