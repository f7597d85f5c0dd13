/** What the publisher sends, in order; subscribers' expectations are derived from it. */
export const PUBLISHED: ReadonlyArray<{ topic: string; payload: unknown }> = [
  { topic: 'orders.eu.created', payload: { id: 1, total: 12.5 } },
  { topic: 'orders.us.created', payload: { id: 2, total: 99 } },
  { topic: 'orders.eu.shipped', payload: { id: 1 } },
  { topic: 'alerts.disk', payload: { free: '2%' } },
  { topic: 'orders.eu.created', payload: { id: 3, total: 7, note: 'x'.repeat(2000) } },
  { topic: 'ui.theme', payload: 'dark' },
];

/** Subscriber processes: a name and the pattern each listens to. */
export const SUBSCRIBERS: ReadonlyArray<{ name: string; pattern: string }> = [
  { name: 'dashboard', pattern: 'orders.>' },
  { name: 'accounting', pattern: 'orders.*.created' },
  { name: 'pager', pattern: 'alerts.*' },
  { name: 'logger', pattern: '>' },
];

/**
 * Frames of 424 bytes, the limit of a domain-wide mailslot broadcast: the
 * 2 KB event travels as fragments and is reassembled by each subscriber,
 * on the same code path a broadcast to `\\*\mailslot\...` takes.
 */
export const FRAME_SIZE = 424;
