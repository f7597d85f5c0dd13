/**
 * Counters of one transport, from `server.stats()` / `client.stats()`.
 * Everything counts since `start()`; nothing resets.
 */
export interface PipeStats {
  /** Frames received (framed mode) or chunks received (raw mode). */
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Peers connected right now (a client: 1 while its link is up). */
  peersConnected: number;
  /** Peers ever accepted (server) or links ever made (client). */
  peersAccepted: number;
  /** Connections refused before they became peers: another user, or over `maxClients`. */
  peersRejected: number;
  /** Peers cut off for misbehaving (oversize or truncated frames, not reading) or by `dropPeer`. */
  peersDropped: number;
  /** Length prefixes above `maxFrameSize`. */
  oversizeFrames: number;
  /** Streams that ended inside a frame. */
  truncatedFrames: number;
  /** Peers dropped because more than `maxPendingSendBytes` waited for them to read. */
  floodDrops: number;
  /** Peers dropped for not sending their first frame within `firstFrameTimeout`, or not finishing a frame within `frameTimeout`. */
  slowDrops: number;
  /** Times the server stopped reading a peer until it read its answers (flow control). */
  readPauses: number;
  /** Client: links re-established after a drop. */
  reconnects: number;
  /** Server: bytes held right now by unfinished inbound frames, all links together (bounded by `maxInboundBufferBytes`); a client: 0. */
  inboundBytesHeld: number;
  /** Server: times a link stopped reading until `maxInboundBufferBytes` had room for the rest of its frame. */
  inboundWaits: number;
  /** Server: links stopped right now, waiting for that room. */
  inboundWaiting: number;
  /** Frames a send had taken (and resolved) that the link closed before handing them to the socket: the peer never got them. */
  framesUnsent: number;
}

/** A fresh set of zeroed counters. */
export function emptyStats(): PipeStats {
  return {
    framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0,
    peersConnected: 0, peersAccepted: 0, peersRejected: 0, peersDropped: 0,
    oversizeFrames: 0, truncatedFrames: 0, floodDrops: 0, slowDrops: 0, readPauses: 0, reconnects: 0, framesUnsent: 0,
    inboundBytesHeld: 0, inboundWaits: 0, inboundWaiting: 0,
  };
}
