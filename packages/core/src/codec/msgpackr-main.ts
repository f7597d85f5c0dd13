/**
 * Imports msgpackr's main entry, which installs its native string extractor
 * into the reader that 'msgpackr/pack' shares (see msgpack-codec.ts). The
 * ESM build's version; the CommonJS build has msgpackr-main-cjs.cts.
 */
export function importMsgpackrMain(): Promise<unknown> {
  return import('msgpackr');
}
