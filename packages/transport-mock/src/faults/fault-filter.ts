/**
 * Selects links by their ends. Every field is optional; an absent field
 * matches anything.
 *
 * `from` and `to` name endpoints: a listener by its address (`'orders'`), a
 * client or mailslot member by its peer id (`'client#2'`) or by the name it
 * was created with (`'client'` matches `client#1`, `client#2`, …).
 * `address` matches the network address a link belongs to (the listener's
 * address, or the mailslot group's).
 */
export interface FaultFilter {
  readonly from?: string;
  readonly to?: string;
  readonly address?: string;
}

/** The identity of one end of a link, as filters and the traffic record see it. */
export interface LinkEnds {
  readonly from: string;
  readonly to: string;
  readonly address: string;
}

/** True when `value` names the endpoint labelled `label` (exactly, or by its name before `#`). */
export function namesEndpoint(value: string, label: string): boolean {
  return value === label || label.startsWith(`${value}#`);
}

/** True when a link with these ends is selected by `filter`. */
export function matchesFilter(filter: FaultFilter | undefined, ends: LinkEnds): boolean {
  if (filter === undefined) return true;
  return (
    (filter.from === undefined || namesEndpoint(filter.from, ends.from)) &&
    (filter.to === undefined || namesEndpoint(filter.to, ends.to)) &&
    (filter.address === undefined || filter.address === ends.address)
  );
}
