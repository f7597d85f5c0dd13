/**
 * The CommonJS build's stand-in for msgpackr-main.ts. Here require('msgpackr/pack')
 * already loaded msgpackr's whole node build (its "require" entry is the
 * main one, extractor included), and import('msgpackr') would load a second,
 * ESM copy (another ~0.5 MB of heap) whose extractor this reader never uses.
 */
export function importMsgpackrMain(): Promise<unknown> {
  return Promise.resolve();
}
