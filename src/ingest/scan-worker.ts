/**
 * Worker-thread entry for big scans: the byte half of each file's analysis (scan-file.ts scanFile:
 * read, known values, keyword prefilter), with the bytes read straight into a ring of memory
 * shared with the caller, which does the text half from there (scan-pool.ts). Splitting there
 * keeps this thread's code small: a fresh V8 isolate compiles all the code it runs hot, and doing
 * everything here cost ~0.5-1 s of CPU before the worker paid off.
 *
 * Known values arrive as views over one SharedArrayBuffer (never copied into this thread's heap);
 * the caller wipes it.
 */
import {parentPort, workerData} from 'node:worker_threads'
import {prepareKnownValues} from './leaks.js'
import {RING_CLOSING, RING_RELEASED} from './ring.js'
import {encodeScanned, scanFile, type ByteContext, type Scanned} from './scan-file.js'
import type {WorkerRequest, WorkerResponse, WorkerStart} from './scan-pool.js'
import {compileSignatures} from './signatures.js'

/** Thrown out of a wait when the caller closes the pool: the batch is dropped. */
class Closing extends Error {}

function serve(init: WorkerStart): void {
  const port = parentPort
  if (!port) return
  const ctx: ByteContext = {
    sig: compileSignatures(init.providers),
    known: prepareKnownValues(init.known.map((k) => ({value: Buffer.from(init.knownBytes!, k.start, k.length), label: k.label}))),
    maxFileBytes: init.maxFileBytes,
  }
  const ring = init.ring
  const size = ring.byteLength
  const control = new Int32Array(init.control)
  // Bytes written since the start; the caller counts the bytes it released (control[RING_RELEASED],
  // wrapping at 2^32), so (produced - released) is what is in use, up to `size`.
  let produced = 0

  port.on('message', (request: WorkerRequest) => {
    const {files} = request
    let first = 0
    let partStart = produced
    const scanned: Scanned[] = []
    const starts: number[] = []
    // Hands the files done so far to the caller, which releases their bytes once it is done with them.
    const post = (): void => {
      const response: WorkerResponse = {id: request.id, first, count: scanned.length, span: produced - partStart, scanned: encodeScanned(scanned, starts)}
      port.postMessage(response)
      first += scanned.length
      scanned.length = 0
      starts.length = 0
      partStart = produced
    }
    let start = 0
    /** A contiguous, 8-byte aligned region of the ring for a file of `bytes` bytes, once it is free. */
    const reserve = (bytes: number): Buffer => {
      let at = produced % size
      if (at + bytes > size) {
        // Too little room before the end: the tail goes unused, and the file starts over at 0.
        produced += size - at
        at = 0
      }
      for (;;) {
        const released = Atomics.load(control, RING_RELEASED)
        if ((((produced | 0) - released) | 0) + bytes <= size) break
        if (Atomics.load(control, RING_CLOSING) !== 0) throw new Closing()
        // Waiting on bytes of this very batch would never end: hand them over first.
        if (scanned.length > 0) post()
        Atomics.wait(control, RING_RELEASED, released, 1000)
      }
      start = at
      return Buffer.from(ring, at, bytes)
    }
    try {
      for (let i = 0; i < files.length; i += 2) {
        const result = scanFile(ctx, files[i], files[i + 1], reserve)
        scanned.push(result)
        starts.push(result.ok ? start : 0)
        if (result.ok) produced += (result.length + 7) & ~7
      }
      post()
    } catch (error) {
      if (!(error instanceof Closing)) throw error
    }
  })
}

serve(workerData as WorkerStart)
