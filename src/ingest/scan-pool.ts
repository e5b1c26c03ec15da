/**
 * A small pool of scan workers (node:worker_threads) fed with batches of files. Each worker holds
 * at most MAX_IN_FLIGHT batches, so that the caller never walks far ahead of the work (memory stays
 * flat) and does the work itself when every worker is busy. A worker that fails (it could not
 * start, or died) hands its unfinished batches back to the caller: a scan never fails for it.
 */
import {createRequire} from 'node:module'
import {pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'
import type {Provider} from '../secrets/providers/schema.js'
import {decodeOutcomes, type FileOutcome} from './scan-file.js'

export interface WorkerInit {
  providers: Provider[]
  maxFileBytes: number
  /** the known values, back to back; shared with the caller (not copied), wiped by it after the scan */
  knownBytes?: SharedArrayBuffer
  known: {start: number; length: number; label: string}[]
}

export interface WorkerRequest {
  id: number
  /** abs, rel, abs, rel... */
  files: string[]
}

export interface WorkerResponse {
  id: number
  /** encodeOutcomes() of the batch */
  outcomes: string
}

export interface Batch {
  id: number
  /** abs, rel, abs, rel... */
  files: string[]
  /** walk sequence number of each file (for skip ordering) */
  seqs: number[]
}

const MAX_IN_FLIGHT = 3

interface Slot {
  worker: Worker
  inFlight: Map<number, Batch>
  dead: boolean
}

/**
 * Built, the worker is scan-worker.js next to this module. Under tsx (tests, benches) this module is
 * the .ts source, and a worker does not inherit tsx's loader hooks: a tiny bootstrap registers them
 * in the worker first, then imports scan-worker.ts.
 */
function startWorker(init: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./scan-worker.js', import.meta.url), {workerData: init})
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href
  const entry = new URL('./scan-worker.ts', import.meta.url).href
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({register}) => { register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(bootstrap, {eval: true, workerData: init})
}

export class ScanPool {
  private readonly slots: Slot[] = []
  private readonly orphans: Batch[] = []
  private wake: (() => void) | undefined
  private closing = false

  constructor(count: number, init: WorkerInit, private readonly onDone: (batch: Batch, outcomes: FileOutcome[]) => void) {
    for (let i = 0; i < count; i++) {
      const slot: Slot = {worker: startWorker(init), inFlight: new Map(), dead: false}
      slot.worker.on('message', (response: WorkerResponse) => {
        const batch = slot.inFlight.get(response.id)
        if (!batch) return
        slot.inFlight.delete(response.id)
        this.onDone(batch, decodeOutcomes(response.outcomes, batch.files))
        this.notify()
      })
      // An error is followed by 'exit'; either way the slot's batches go back to the caller.
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
    best.inFlight.set(batch.id, batch)
    const request: WorkerRequest = {id: batch.id, files: batch.files}
    best.worker.postMessage(request)
    return true
  }

  /** Batches whose worker died before finishing them: the caller processes them itself. */
  takeOrphans(): Batch[] {
    return this.orphans.splice(0)
  }

  /** Resolves at the next batch completion or worker death. */
  changed(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve))
  }

  async close(): Promise<void> {
    this.closing = true
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()))
  }

  private retire(slot: Slot): void {
    if (slot.dead) return
    slot.dead = true
    if (!this.closing) this.orphans.push(...slot.inFlight.values())
    slot.inFlight.clear()
    this.notify()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
