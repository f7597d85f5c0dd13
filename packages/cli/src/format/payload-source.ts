import { open } from 'node:fs/promises';
import { UsageError } from '../usage-error.js';

/**
 * Where a PAYLOAD argument's bytes come from: `-` is stdin (read to EOF),
 * `@FILE` a file, `@@TEXT` the literal text `@TEXT`, anything else the
 * argument itself. Files and stdin lift the shell's argument limit (about
 * 128 KiB on Linux); the bus's own limit is enforced here, as a usage error
 * before anything is sent.
 */

/**
 * The most payload bytes the CLI reads: the bus's default `maxMessageSize`
 * (16 MiB), which the CLI's buses keep. A payload this large still carries
 * its envelope, so the bus may refuse one a few bytes short of it.
 */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

/** Bytes to read from; process.stdin satisfies it. */
export type ByteSource = AsyncIterable<Uint8Array | string>;

/** What reads a PAYLOAD argument needs: where `-` reads from, and the bound. */
export interface PayloadSourceOptions {
  readonly stdin: ByteSource;
  readonly maxBytes?: number;
}

/** The bytes a PAYLOAD argument stands for (see the module comment for the syntax). */
export async function readPayloadArg(arg: string, options: PayloadSourceOptions): Promise<Uint8Array> {
  const max = options.maxBytes ?? MAX_PAYLOAD_BYTES;
  if (arg === '-') return readBounded(options.stdin, max, 'stdin');
  if (arg.startsWith('@@')) return checkSize(Buffer.from(arg.slice(1), 'utf8'), max, 'the payload');
  if (arg.startsWith('@')) {
    const path = arg.slice(1);
    if (path.length === 0) throw new UsageError("'@' needs a file name (@FILE); write '@@' for a payload that starts with a literal '@'");
    let file;
    try {
      file = await open(path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new UsageError(`cannot read payload file '${path}' (${code}); give an existing readable file after '@', or write '@@' for a payload that starts with a literal '@'`);
    }
    try {
      // Read as a stream, not by stat size: a FIFO or /dev/stdin has no size.
      return await readBounded(file.createReadStream({ autoClose: false }), max, `payload file '${path}'`);
    } finally {
      await file.close();
    }
  }
  return checkSize(Buffer.from(arg, 'utf8'), max, 'the payload');
}

/** Reads to EOF, but stops (and refuses) as soon as the bound is passed. */
async function readBounded(source: ByteSource, max: number, what: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    size += bytes.byteLength;
    if (size > max) tooLarge(`${what} holds more than`, max);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, size);
}

function checkSize(bytes: Uint8Array, max: number, what: string): Uint8Array {
  if (bytes.byteLength > max) tooLarge(`${what} is ${bytes.byteLength} bytes, more than`, max);
  return bytes;
}

function tooLarge(what: string, max: number): never {
  throw new UsageError(`${what} the bus's maximum message size (${max} bytes, maxMessageSize); send a smaller payload`);
}
