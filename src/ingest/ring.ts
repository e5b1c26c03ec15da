/**
 * The memory a scan worker reads files into for the calling thread (scan-worker.ts writes,
 * scan-pool.ts reads): a ring of bytes in a SharedArrayBuffer, and an Int32Array of control words.
 * The worker writes each file at the next free 8-byte aligned offset (wrapping to 0 when it does
 * not fit before the end) and waits when the ring is full; the caller releases a response's bytes,
 * in order, once it has finished the files in it.
 */

/** control[RING_RELEASED]: bytes released by the caller so far, wrapping at 2^32 (Atomics.add) */
export const RING_RELEASED = 0
/** control[RING_CLOSING]: 1 once the caller is closing the pool, so that a waiting worker gives up */
export const RING_CLOSING = 1
export const RING_CONTROL_WORDS = 2

/** Big enough for a few batches of ordinary files, and for the biggest file allowed, twice over. */
export function ringBytes(maxFileBytes: number): number {
  return Math.max(8 * 1024 * 1024, 2 * Math.ceil(maxFileBytes / 8) * 8)
}
