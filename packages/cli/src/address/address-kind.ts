/** True for addresses the mailslot transport serves (else the named-pipe one). */
export function isMailslotAddress(address: string): boolean {
  return /^mailslot:\/\//i.test(address) || /^\\\\[^\\]+\\mailslot\\/i.test(address);
}

/** True for `nats://…` addresses (one server, or several comma-separated): the NATS transport's. */
export function isNatsAddress(address: string): boolean {
  return /^nats:\/\//i.test(address);
}
