/**
 * Peer-controlled strings (method names, error codes and messages a peer
 * sent) on their way into a log line, an error message or a reply: each is
 * cut, so that a megabyte string costs a line, not a megabyte per mention.
 */

/** Longest peer error message kept in a log line or in an error's message. */
export const MAX_PEER_MESSAGE = 1024;
/** Longest peer error code kept; real codes are short identifiers. */
export const MAX_PEER_CODE = 64;

/** JSON-quoted (control characters escaped) and cut to `max` characters, saying how long it was. */
export function quote(text: string, max = 80): string {
  return text.length <= max ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, max))}… (${text.length} chars)`;
}

/** Cut to `max` characters, saying how much was left out. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more chars)`;
}
