import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BusError, silentLogger } from '@pipebus/core';
import { NamedPipeClient } from '@pipebus/transport-namedpipe';
import { nextMessage } from '@pipebus/test-support';
import { OTHER_UID, asRoot, forkAsOtherUser, sharedDir } from './support/other-user.js';

/**
 * Named pipes with a second user on the machine (POSIX; run as root so that a
 * child can be the other user). The other user plants a server on a socket
 * path in a shared directory that a victim's client was configured with:
 * the client must see who the server is and refuse it before sending a byte.
 * The reverse (a server refusing another user's client) is pinned in
 * packages/transport-namedpipe/test/identity.test.ts.
 */
const HOSTILE = path.join(__dirname, 'fixtures', 'hostile-server.cjs');
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

type Closed = { type: 'closed'; bytes: number };
const isListening = (m: unknown): m is { type: 'listening' } => (m as { type?: string })?.type === 'listening';
const isClosed = (m: unknown): m is Closed => (m as { type?: string })?.type === 'closed';

/** A server of uid 65534 listening on `<shared dir>/s.sock`. */
async function plantServer(): Promise<{ file: string; server: ChildProcess }> {
  const dir = sharedDir();
  dirs.push(dir);
  const file = path.join(dir, 's.sock');
  const server = forkAsOtherUser(dir, HOSTILE, [file]);
  children.push(server);
  await nextMessage(server, isListening);
  expect(fs.statSync(file).uid).toBe(OTHER_UID);
  return { file, server };
}

describe('second user: a client never talks to a server of another user unless allowed', () => {
  asRoot(it)('refuses a server run by another uid with ACCESS_DENIED, before sending it anything (runs as root only)', async () => {
    const { file, server } = await plantServer();
    const closed = nextMessage(server, isClosed);
    const client = new NamedPipeClient({ address: file, logger: silentLogger });
    const error = await client.start().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(BusError);
    expect((error as BusError).code).toBe('ACCESS_DENIED');
    expect((error as BusError).message).toMatch(/allow/);
    // The hostile server saw the connection end with no byte of ours in it.
    expect(await closed).toEqual({ type: 'closed', bytes: 0 });
    // A refused start leaves the transport as it was: nothing open, free to be started again.
    expect(client.state).toBe('idle');
  });

  asRoot(it)("connects when the user widens it to that uid, or to any user (runs as root only)", async () => {
    for (const allow of [{ uids: [OTHER_UID] }, 'any-user'] as const) {
      const { file } = await plantServer();
      const client = new NamedPipeClient({ address: file, logger: silentLogger, allow });
      await client.start();
      expect(client.server?.uid).toBe(OTHER_UID);
      await client.close();
    }
  });

  asRoot(it)('refuses a server of another uid that a listed uid does not cover (runs as root only)', async () => {
    const { file } = await plantServer();
    const client = new NamedPipeClient({ address: file, logger: silentLogger, allow: { uids: [OTHER_UID - 1] } });
    await expect(client.start()).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });
});
