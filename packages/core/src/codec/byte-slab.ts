/**
 * Memory for received byte payloads: small arrays carved out of shared
 * slabs, as `Buffer.allocUnsafe` does, because a typed array of its own above
 * 64 bytes (a malloc plus the GC's bookkeeping of external memory) costs more
 * than decoding the rest of a 1 KiB message. Shared by the msgpack codecs'
 * typed-array reader and the envelope's fast path (`envelope/fast-envelope.ts`).
 */
/** Larger arrays get memory of their own; smaller ones share a slab (Node's Buffer pool uses the same bound). */
const POOLED_MAX = 4096;
/** V8 keeps typed arrays up to this size on the heap, where allocation is cheap already. */
const ON_HEAP_MAX = 64;
const SLAB_SIZE = 8192;
let slab: ArrayBuffer | undefined;
let slabUsed = SLAB_SIZE;

type Mark = (value: object) => void;
/** `undefined`: not looked for yet; `null`: loading. */
let markUntransferable: Mark | null | undefined;

/**
 * `markAsUntransferable` from `node:worker_threads`, loaded on first need:
 * that module adds ~200 KB of heap, which a process that never pools a
 * payload should not pay. Node 20.16+ loads it at once; older Node imports it
 * asynchronously and gets `undefined` until then.
 */
function untransferableMarker(): Mark | undefined {
  if (markUntransferable === undefined) {
    const getBuiltinModule = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
    if (typeof getBuiltinModule === 'function') {
      markUntransferable = (getBuiltinModule('node:worker_threads') as typeof import('node:worker_threads')).markAsUntransferable;
    } else {
      markUntransferable = null;
      // Without a loader for import() (a CommonJS host such as jest's runtime) slabs go unmarked.
      import('node:worker_threads').then((threads) => (markUntransferable = threads.markAsUntransferable), () => undefined);
    }
  }
  return markUntransferable ?? undefined;
}

/**
 * A fresh `Uint8Array` of `length` bytes, for a received payload. Above 64
 * bytes a typed array's memory lives outside the V8 heap, and allocating it
 * (a malloc, plus the GC's bookkeeping of external memory) cost more than
 * decoding the whole rest of a 1 KiB message. So, as `Buffer.allocUnsafe` does,
 * arrays up to 4 KiB are carved out of shared 8 KiB slabs: each is still
 * independent of the frame it came in and of every other payload, but its
 * `.buffer` is the slab (read it with `byteOffset` and `byteLength`), and a
 * kept payload keeps its slab alive. Slabs are marked untransferable, so
 * handing a payload's `.buffer` to a worker cannot detach its neighbours.
 */
export function allocateBytes(length: number): Uint8Array {
  if (length <= ON_HEAP_MAX || length > POOLED_MAX) return new Uint8Array(length);
  if (slab === undefined || slabUsed + length > SLAB_SIZE) {
    const mark = untransferableMarker();
    if (mark === undefined) return new Uint8Array(length); // no pooling until slabs can be protected
    slab = new ArrayBuffer(SLAB_SIZE);
    mark(slab);
    slabUsed = 0;
  }
  const bytes = new Uint8Array(slab, slabUsed, length);
  // 8-byte alignment, so that a payload's bytes can back any typed array view.
  slabUsed = (slabUsed + length + 7) & ~7;
  return bytes;
}

