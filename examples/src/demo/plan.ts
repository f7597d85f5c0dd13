/** What the demo's processes do, shared so each side knows what to expect. */

/** The events the publisher sends to the mailslot group, in order. */
export const EVENTS: ReadonlyArray<{ topic: string; payload: unknown }> = [
  { topic: 'orders.eu.created', payload: { id: 1, total: 12.5 } },
  { topic: 'orders.us.created', payload: { id: 2, total: 99 } },
  { topic: 'orders.eu.shipped', payload: { id: 1 } },
  { topic: 'alerts.disk', payload: { free: '2%' } },
];

/** The subscriber processes: a name and the topic pattern each listens to. */
export const SUBSCRIBERS: ReadonlyArray<{ name: string; pattern: string }> = [
  { name: 'dashboard', pattern: 'orders.>' },
  { name: 'accounting', pattern: 'orders.*.created' },
  { name: 'pager', pattern: 'alerts.*' },
];

/** How many values of the endless `counter.count` stream the client takes before it cancels. */
export const TAKE_BEFORE_CANCEL = 3;
