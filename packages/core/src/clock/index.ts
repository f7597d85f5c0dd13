export { MAX_TIMER_MS, systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
