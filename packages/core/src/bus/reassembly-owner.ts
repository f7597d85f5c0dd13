import type { PeerInfo } from '../transport/index.js';

/**
 * The reassembly share a peer's fragments count against: its process, where
 * the transport took pid (and uid) from the kernel, else its peer id. A peer
 * id can be the sender's choosing (a mailslot sender is named after any
 * socket name it binds), and a share per name would give one process as many
 * shares as it has names. The NUL keeps these keys apart from any peer id.
 */
export function reassemblyOwner(peer: PeerInfo): string {
  if (peer.pid === undefined) return peer.id;
  return `\0process ${peer.pid} uid ${peer.uid ?? '?'}`;
}
