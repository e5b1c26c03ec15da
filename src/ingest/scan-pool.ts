/**
 * A small pool of scan workers (node:worker_threads) fed with batches of files. A worker does the
 * byte half of each file (read, known values, keyword prefilter) into a ring of memory shared with
 * the caller (ring.ts), and the pool does the text half (scan-file.ts finishFile) on the calling
 * thread as the worker's answers come in, then hands the finished outcomes to onDone. The halves
 * take about as long as each other on the bench tree, and the worker's code stays small (see
 * scan-worker.ts).
 *
 * Each worker holds at most MAX_IN_FLIGHT batches, so that the caller never walks far ahead of the
 * work (memory stays flat: the rings are fixed) and does whole files itself when every worker is
 * busy. A worker answers a batch in one or more parts (more when its ring fills up). A worker that
 * fails (it could not start, or died) hands the files it has not answered back to the caller: a
 * scan never fails for it.
 */
import {createRequire} from 'node:module'
import {pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'
import type {Provider} from '../secrets/providers/schema.js'
import {prepareKnownValues} from './leaks.js'
import {RING_CLOSING, RING_CONTROL_WORDS, RING_RELEASED, ringBytes} from './ring.js'
import {decodeScanned, finishFile, internEvidence, type FileOutcome, type Intern, type TextContext} from './scan-file.js'
import {compileSignatures} from './signatures.js'

export interface WorkerInit {
  providers: Provider[]
  maxFileBytes: number
  /** the known values, back to back; shared with the caller (not copied), wiped by it after the scan */
  knownBytes?: SharedArrayBuffer
  known: {start: number; length: number; label: string}[]
}

/** What each worker gets: the scan's WorkerInit and its own ring. */
export interface WorkerStart extends WorkerInit {
  ring: SharedArrayBuffer
  /** Int32Array words, see ring.ts */
  control: SharedArrayBuffer
}

export interface WorkerRequest {
  id: number
  /** abs, rel, abs, rel... */
  files: string[]
}

/** The answer to files [first, first + count) of a request. */
export interface WorkerResponse {
  id: number
  first: number
  count: number
  /** ring bytes to release once these files are finished */
  span: number
  /** encodeScanned() of these files */
  scanned: string
}

export interface Batch {
  id: number
  /** abs, rel, abs, rel... */
  files: string[]
  /** walk sequence number of each file (for skip ordering) */
  seqs: number[]
}

const MAX_IN_FLIGHT = 8

interface Slot {
  worker: Worker
  ring: SharedArrayBuffer
  control: Int32Array
  /** batch id -> the batch and how many of its files were answered */
  inFlight: Map<number, {batch: Batch; answered: number}>
  dead: boolean
}

/**
 * Built, the worker is scan-worker.js next to this module. Under tsx (tests, benches) this module is
 * the .ts source, and a worker does not inherit tsx's loader hooks: a tiny bootstrap registers them
 * in the worker first, then imports scan-worker.ts.
 */
function startWorker(start: WorkerStart): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./scan-worker.js', import.meta.url), {workerData: start})
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href
  const entry = new URL('./scan-worker.ts', import.meta.url).href
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({register}) => { register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(bootstrap, {eval: true, workerData: start})
}

function part(batch: Batch, first: number, count: number): Batch {
  if (first === 0 && count * 2 === batch.files.length) return batch
  return {id: batch.id, files: batch.files.slice(2 * first, 2 * (first + count)), seqs: batch.seqs.slice(first, first + count)}
}

export interface PoolOptions {
  /** for finishing files on the calling thread; by default built from `init` (compiles the signatures again) */
  text?: TextContext
  /** applied to the findings' strings (see makeIntern) */
  intern?: Intern
}

export class ScanPool {
  private readonly slots: Slot[] = []
  private readonly orphans: Batch[] = []
  private readonly text: TextContext
  private wake: (() => void) | undefined
  private closing = false

  /** onDone receives finished outcomes, in batch order, possibly a batch in several parts. */
  constructor(count: number, init: WorkerInit, private readonly onDone: (batch: Batch, outcomes: FileOutcome[]) => void, private readonly options: PoolOptions = {}) {
    this.text = options.text ?? {
      sig: compileSignatures(init.providers),
      known: prepareKnownValues(init.known.map((k) => ({value: Buffer.from(init.knownBytes!, k.start, k.length), label: k.label}))),
    }
    for (let i = 0; i < count; i++) {
      const ring = new SharedArrayBuffer(ringBytes(init.maxFileBytes))
      const control = new SharedArrayBuffer(RING_CONTROL_WORDS * 4)
      const slot: Slot = {worker: startWorker({...init, ring, control}), ring, control: new Int32Array(control), inFlight: new Map(), dead: false}
      slot.worker.on('message', (response: WorkerResponse) => this.receive(slot, response))
      // An error is followed by 'exit'; either way the slot's unanswered files go back to the caller.
      slot.worker.on('error', () => this.retire(slot))
      slot.worker.on('exit', () => this.retire(slot))
      this.slots.push(slot)
    }
  }

  get inFlight(): number {
    let n = 0
    for (const slot of this.slots) n += slot.inFlight.size
    return n
  }

  /** Hands the batch to the least busy live worker with room; false when all are full (or dead). */
  trySend(batch: Batch): boolean {
    let best: Slot | undefined
    for (const slot of this.slots) {
      if (!slot.dead && slot.inFlight.size < MAX_IN_FLIGHT && (!best || slot.inFlight.size < best.inFlight.size)) best = slot
    }
    if (!best) return false
    best.inFlight.set(batch.id, {batch, answered: 0})
    const request: WorkerRequest = {id: batch.id, files: batch.files}
    best.worker.postMessage(request)
    return true
  }

  /** Files whose worker died before answering them: the caller processes them itself. */
  takeOrphans(): Batch[] {
    return this.orphans.splice(0)
  }

  /** Resolves at the next batch completion or worker death. */
  changed(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve))
  }

  async close(): Promise<void> {
    this.closing = true
    for (const slot of this.slots) {
      // A worker waiting for ring space gives up its batch rather than wait for the caller.
      Atomics.store(slot.control, RING_CLOSING, 1)
      Atomics.notify(slot.control, RING_RELEASED)
    }
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()))
  }

  /** Finishes the answered files from the ring, hands them on, then frees their bytes for the worker. */
  private receive(slot: Slot, response: WorkerResponse): void {
    const entry = slot.inFlight.get(response.id)
    if (!entry) return
    const done = part(entry.batch, response.first, response.count)
    const rels = done.files.filter((_, i) => i % 2 === 1)
    const outcomes = decodeScanned(response.scanned, rels).map(({scanned, start}, i): FileOutcome => {
      if (!scanned.ok) return scanned
      const outcome = finishFile(this.text, rels[i], Buffer.from(slot.ring, start, scanned.length), scanned)
      if (outcome.ok && this.options.intern) internEvidence(outcome.evidence, this.options.intern)
      return outcome
    })
    Atomics.add(slot.control, RING_RELEASED, response.span)
    Atomics.notify(slot.control, RING_RELEASED)
    entry.answered += response.count
    if (entry.answered >= entry.batch.seqs.length) slot.inFlight.delete(response.id)
    this.onDone(done, outcomes)
    this.notify()
  }

  private retire(slot: Slot): void {
    if (slot.dead) return
    slot.dead = true
    if (!this.closing) {
      for (const {batch, answered} of slot.inFlight.values()) this.orphans.push(part(batch, answered, batch.seqs.length - answered))
    }
    slot.inFlight.clear()
    this.notify()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
