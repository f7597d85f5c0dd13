export { FRAGMENT_HEADER_SIZE } from './fragment-header.js';
export { Fragmenter } from './fragmenter.js';
export type { FragmenterOptions } from './fragmenter.js';
export { FrameReassembler } from './frame-reassembler.js';
export type { FragmentDropReason, FrameReassemblerOptions, ReassemblerStats } from './reassembler-options.js';
