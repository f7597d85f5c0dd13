/**
 * `pnpm example:pubsub`: desktop-style pub/sub. Four subscriber processes
 * each own a mailslot and join the group; a publisher process sends six
 * events over 424-byte frames (the 2 KB one travels as fragments) and every
 * subscriber prints those matching its wildcard pattern.
 */
import { matchTopic } from '@pipebus/core';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNode } from '../child-process.js';
import { PUBLISHED, SUBSCRIBERS } from './topics.js';

const here = dirname(fileURLToPath(import.meta.url));
const address = `mailslot://desktop-${process.pid}`;
console.log(`desktop pub/sub example: ${SUBSCRIBERS.length} subscribers and a publisher on ${address}\n`);

const children = SUBSCRIBERS.map(({ name, pattern }) => {
  const expected = PUBLISHED.filter((m) => matchTopic(pattern, m.topic)).length;
  return startNode(join(here, 'subscriber.js'), [address, name, pattern, String(expected)], name);
});
await Promise.all(children.map((c) => c.waitForLine(/^ready/)));
const publisher = startNode(join(here, 'publisher.js'), [address], 'publisher');
const codes = await Promise.all([publisher.exited, ...children.map((c) => c.exited)]);
const failed = codes.filter((c) => c !== 0).length;
console.log(failed === 0 ? '\nEvery subscriber got every event matching its pattern. Done.' : `\n${failed} process(es) failed`);
process.exitCode = failed === 0 ? 0 : 1;
