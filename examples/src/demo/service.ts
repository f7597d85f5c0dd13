/**
 * The demo's service process: serves requests on a named pipe (a unix socket
 * in the demo's private runtime directory on POSIX) and says on stdout when a
 * caller cancels, so the transcript shows the cancel reaching this process.
 * Args: ADDRESS RUNTIME_DIR.
 */
import { MessageBus, silentLogger } from '@pipebus/core';
import { NamedPipeServer } from '@pipebus/transport-namedpipe';
import { Observable } from 'rxjs';
import { serveUntilSignalled } from '../serve-until-signalled.js';

const [address = 'pipe://demo', runtimeDir] = process.argv.slice(2);
const bus = new MessageBus(new NamedPipeServer({ address, ...(runtimeDir !== undefined && { runtimeDir }), logger: silentLogger }), { name: 'service', logger: silentLogger });

bus.handle('math.add', ({ a, b }: { a: number; b: number }) => a + b);

// A finite stream: three parts of a report, one at a time.
bus.handle('report.lines', () => new Observable<string>((s) => {
  for (const line of ['tea: 10', 'coffee: 3', 'milk: 0']) s.next(line);
  s.complete();
}));

// An endless stream: it stops only when the caller cancels (unsubscribes).
bus.handle('counter.count', (_: unknown, ctx) => new Observable<number>((s) => {
  let n = 0;
  const timer = setInterval(() => s.next(++n), 10);
  return () => {
    clearInterval(timer);
    console.log(`counter.count cancelled by pid ${ctx.peer.pid ?? '?'} after ${n} values`);
  };
}));

// A request that works until its caller gives up: it announces that it started (an event the
// client waits for before it cancels), then stops its work when its signal aborts.
bus.handle('job.wait', (_: unknown, ctx) => new Promise<never>((_resolve, reject) => {
  ctx.signal.addEventListener('abort', () => {
    console.log(`job.wait cancelled by pid ${ctx.peer.pid ?? '?'}`);
    reject(ctx.signal.reason);
  });
  console.log('job.wait started: working until the caller cancels');
  void bus.publish('jobs.started', { method: 'job.wait' });
}));

await serveUntilSignalled(bus);
