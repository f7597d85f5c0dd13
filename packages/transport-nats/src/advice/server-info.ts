/**
 * The INFO line a NATS server greets every client with, read with a plain
 * socket: what `pipebus doctor` shows, and what tells a refused login from
 * an absent server when the connection fails without saying why (on
 * Windows the server's "-ERR Authorization Violation" can be lost to the
 * reset that follows it, and nats.js then reports only a socket error).
 */
import net from 'node:net';

/** A greeting longer than this is not a NATS server's INFO line (nats-server's is under 1 KiB). */
const MAX_INFO_BYTES = 64 * 1024;

/** What a NATS server says about itself in its INFO line (the fields pipebus reads). */
export interface NatsServerInfo {
  readonly version?: unknown;
  readonly max_payload?: unknown;
  readonly tls_required?: unknown;
  readonly auth_required?: unknown;
}

/** What a probe found at a URL. */
export type NatsProbe = { readonly kind: 'info'; readonly info: NatsServerInfo } | { readonly kind: 'not-nats' } | { readonly kind: 'unreachable'; readonly reason: string };

/** Connects once with node:net and reads the server's first line, `INFO {json}`; bounded in time and size. */
export function probeNatsServer(url: string, timeoutMs: number): Promise<NatsProbe> {
  const parsed = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `nats://${url}`);
  // URL keeps an IPv6 host in brackets, which net.connect does not take.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port === '' ? 4222 : Number(parsed.port);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let text = '';
    const finish = (probe: NatsProbe): void => {
      socket.destroy();
      resolve(probe);
    };
    socket.setTimeout(timeoutMs, () => finish({ kind: 'unreachable', reason: `no answer within ${timeoutMs} ms` }));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n');
      if (end < 0 && text.length < MAX_INFO_BYTES) return;
      const line = end < 0 ? text : text.slice(0, end);
      if (!line.startsWith('INFO ')) return finish({ kind: 'not-nats' });
      try {
        const info: unknown = JSON.parse(line.slice('INFO '.length));
        finish(info !== null && typeof info === 'object' ? { kind: 'info', info: info as NatsServerInfo } : { kind: 'not-nats' });
      } catch {
        finish({ kind: 'not-nats' });
      }
    });
    socket.once('end', () => finish({ kind: 'not-nats' }));
    socket.once('error', (error: NodeJS.ErrnoException) => finish({ kind: 'unreachable', reason: error.code ?? error.message }));
  });
}
