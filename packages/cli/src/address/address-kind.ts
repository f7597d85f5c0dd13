/** True for addresses the mailslot transport serves (else the named-pipe one). */
export function isMailslotAddress(address: string): boolean {
  return /^mailslot:\/\//i.test(address) || /^\\\\[^\\]+\\mailslot\\/i.test(address);
}
