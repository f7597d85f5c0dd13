import { Observable } from 'rxjs';
import type { MessageBus } from '@pipebus/core';

/** What the trial methods have seen, for the side that serves them. */
export interface TrialCounts {
  slowStarted: number;
  slowAborted: number;
  streamsStarted: number;
  streamsEnded: number;
  echoes: number;
}

/**
 * The methods both sides of a peer-death trial use: `slow` runs until its
 * caller goes away, `stream` emits every millisecond until torn down, `echo`
 * answers at once. `onEcho` runs after each echo is counted.
 */
export function serveTrialMethods(bus: MessageBus, onEcho: (counts: TrialCounts) => void = () => {}): TrialCounts {
  const counts: TrialCounts = { slowStarted: 0, slowAborted: 0, streamsStarted: 0, streamsEnded: 0, echoes: 0 };
  bus.handle('slow', (_: unknown, ctx) => {
    counts.slowStarted++;
    return new Promise<never>((_, reject) =>
      ctx.signal.addEventListener('abort', () => {
        counts.slowAborted++;
        reject(ctx.signal.reason);
      }),
    );
  });
  bus.handle('stream', () => {
    counts.streamsStarted++;
    return new Observable<number>((subscriber) => {
      let n = 0;
      const timer = setInterval(() => subscriber.next(n++), 1);
      return () => {
        clearInterval(timer);
        counts.streamsEnded++;
      };
    });
  });
  bus.handle('echo', (value: unknown) => {
    counts.echoes++;
    onEcho(counts);
    return value;
  });
  return counts;
}
