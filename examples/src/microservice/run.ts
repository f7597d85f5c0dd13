/**
 * `pnpm example:microservice [ADDRESS]`: starts the inventory service and the
 * shop client as two processes talking over a named pipe (a unix socket in a
 * private directory on POSIX), or over NATS when ADDRESS is a running
 * server's `nats://HOST:PORT`, then stops the service.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNode } from '../child-process.js';

const here = dirname(fileURLToPath(import.meta.url));
const address = process.argv[2] ?? `pipe://inventory-${process.pid}`;

console.log(`microservice example: two processes over ${address}\n`);
const service = startNode(join(here, 'inventory-service.js'), [address], 'inventory');
await service.waitForLine(/^ready/);
const client = startNode(join(here, 'shop-client.js'), [address], 'shop');
const code = await client.exited;
service.process.kill('SIGTERM');
await service.exited;
console.log(code === 0 ? '\nDone.' : `\nthe client failed with exit code ${code}`);
process.exitCode = code;
