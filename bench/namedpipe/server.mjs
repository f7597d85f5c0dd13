// Echo server for bench/namedpipe: bench/reqrep/server.mjs, which serves these
// modes and more.
//   node server.mjs bus ADDRESS CODEC   pipebus MessageBus over NamedPipeServer
//   node server.mjs raw PATH -          node:net, u32 length prefix + msgpackr (the floor Node reaches)
import '../reqrep/server.mjs';
