// Client for bench/namedpipe: bench/reqrep/client.mjs. One shot, printing one
// JSON line {serial, pipelined}:
//   node client.mjs bus ADDRESS CODEC SIZE SERIAL PIPELINED WINDOW
//   node client.mjs raw PATH - SIZE SERIAL PIPELINED WINDOW
// or, with only MODE ADDRESS CODEC, driven by commands on stdin (see there).
import '../reqrep/client.mjs';
