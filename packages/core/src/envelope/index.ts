export { Kind, MAX_NAME_LENGTH, decodeMessageFrame, encodeMessageFrame, isHeaders, kindName, toErrorPayload } from './envelope.js';
export type { Envelope, ErrorPayload, Headers } from './envelope.js';
export type { DecodingCodecs } from './envelope.js';
