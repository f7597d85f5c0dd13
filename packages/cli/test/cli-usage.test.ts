import { describe, expect, it } from '@jest/globals';
import { main } from '../src/index.js';
import { formatValue, parsePayload, showBytes, withNul } from '../src/format/payload.js';
import { recordingIo } from './cli-io.js';

describe('pipebus command line', () => {
  it('prints help and exits 0 on --help, 2 with no command', async () => {
    const io = recordingIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.lines.join('\n')).toMatch(/Commands:[\s\S]*serve[\s\S]*request[\s\S]*pub[\s\S]*sub[\s\S]*describe[\s\S]*doctor/);
    const bare = recordingIo();
    expect(await main([], bare)).toBe(2);
    expect(bare.errors.join('\n')).toContain('Usage: pipebus COMMAND');
  });

  it('shows each command its own help', async () => {
    for (const command of ['serve', 'request', 'pub', 'sub', 'describe', 'doctor']) {
      const io = recordingIo();
      expect(await main([command, '--help'], io)).toBe(0);
      expect(io.lines[0]).toContain(`Usage: pipebus ${command}`);
    }
  });

  it.each([
    [['launch'], /unknown command 'launch'/],
    [['request'], /request takes an ADDRESS and a PAYLOAD/],
    [['request', 'pipe://x', '1', '--timeout', 'soon'], /--timeout must be a positive number of ms \(a whole number\), got 'soon'/],
    [['request', 'pipe://x', '1', '--bogus'], /Unknown option '--bogus'/],
    [['request', 'pipe://x', '1', '--timout', '100'], /Unknown option '--timout'.* \(did you mean '--timeout'\?\)/],
    [['sub', 'mailslot://g', '--cuont', '3'], /Unknown option '--cuont'.* \(did you mean '--count'\?\)/],
    [['serve', 'pipe://x', '--echo', '--reply', 'hi'], /--echo and --reply exclude each other/],
    [['serve', 'pipe://x', '--raw', '--method', 'm'], /--method has no meaning with --raw/],
    [['sub', 'mailslot://x', 'a.*', '--raw'], /raw messages have no topic/],
    [['pub', 'mailslot://x', 'topic'], /pub takes ADDRESS, TOPIC and PAYLOAD/],
    [['sub', 'mailslot://x', '--count', '0'], /--count takes an integer >= 1/],
  ])('refuses %j with exit code 2 and no stack trace', async (argv, message) => {
    const io = recordingIo();
    expect(await main(argv as string[], io)).toBe(2);
    const text = io.errors.join('\n');
    expect(text).toMatch(message);
    expect(text).not.toMatch(/\n\s+at /);
  });
});

describe('payload formatting', () => {
  it('reads JSON where it parses and text otherwise', () => {
    expect(parsePayload('42')).toBe(42);
    expect(parsePayload('{"a":[1,2]}')).toEqual({ a: [1, 2] });
    expect(parsePayload('hello world')).toBe('hello world');
  });

  it('prints values with the types JSON lacks spelled out', () => {
    expect(formatValue({ n: 5n, m: new Map([['k', 1]]), s: new Set([1]) })).toBe('{"n":"5n","m":{"k":1},"s":[1]}');
    expect(formatValue('text')).toBe('"text"');
    expect(formatValue(undefined)).toBe('undefined');
  });

  it('shows raw bytes with the trailing NUL as \\0', () => {
    expect(showBytes(withNul('OnNamedPipe Server'))).toBe('OnNamedPipe Server\\0');
    expect(showBytes(new Uint8Array([0x41, 0x0a, 0xff, 0x5c]))).toBe('A\\n\\xff\\\\');
    expect(withNul('Bingo is handsome').byteLength).toBe(18);
  });
});
