/**
 * Worker threads for `audit verify`: BLAKE2b, the MAC and the payload checks of a range of records
 * need nothing from the ranges before it (see verify-range.ts), so big segments are split and
 * checked side by side. verifyLog is synchronous, so the main thread drives the workers without an
 * event loop: each task has a claim slot in shared memory, a worker claims it with a
 * compare-and-swap, posts its result on a MessagePort and marks the slot done; the main thread
 * blocks in Atomics.wait and reads the result with receiveMessageOnPort. The main thread takes
 * back tasks no worker has claimed yet and checks them itself, so a slow-starting, busy or broken
 * worker costs time, never an answer.
 */
import fs from 'node:fs'
import {createRequire} from 'node:module'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {MessageChannel, type MessagePort, Worker, receiveMessageOnPort} from 'node:worker_threads'

import {sodium} from '../secrets/sodium.js'

import type {RangeResult, RangeRules, RangeTask} from './verify-range.js'

// Slot layout per batch of n tasks: state[i] at i, progress[i] at n + i, the cancel flag at 2n.
export const PENDING = 0
export const CLAIMED = 1
export const DONE = 2
const TAKEN_BACK = 3

/** A claimed task whose progress counter has not moved for this long is checked on the main thread instead. */
const STALL_MS = 30_000
const MAX_EXITS = 3
const WAIT_MS = 1000

export interface BatchMessage {
  id: number
  tasks: RangeTask[]
  /** the file the main thread opened: a worker checks it opened the same one */
  identity: {dev: number; ino: number}
  key: Uint8Array
  rules: RangeRules
  slots: SharedArrayBuffer
}

export interface ResultMessage {
  id: number
  index: number
  /** absent when the worker could not check the range */
  result?: RangeResult
}

interface Lane {
  worker: Worker
  port: MessagePort
  exited: boolean
}

/**
 * How to start a worker. Compiled builds run verify-worker.js. When this module is itself
 * TypeScript (tests and benches run under tsx), the worker must register tsx before importing the
 * .ts entry: Node 20 does not pass module hooks on to worker threads. null: no workers here (for
 * example inside the single-file `run` bundle, which has no worker file beside it).
 */
function workerSource(): {code: string; eval: boolean} | null {
  const typescript = import.meta.url.endsWith('.ts')
  const entry = new URL(typescript ? './verify-worker.ts' : './verify-worker.js', import.meta.url)
  try {
    if (!fs.statSync(fileURLToPath(entry)).isFile()) return null
    if (!typescript) return {code: fileURLToPath(entry), eval: false}
    const api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href
    return {code: `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}) })`, eval: true}
  } catch {
    return null
  }
}

export class VerifyPool {
  private static shared: VerifyPool | null | undefined
  private readonly lanes: Lane[] = []
  private nextId = 1
  private exits = 0

  /** The process-wide pool with at least `workers` workers, started on first use; null if workers cannot run here. */
  static get(workers: number): VerifyPool | null {
    if (VerifyPool.shared === undefined) {
      const source = workerSource()
      VerifyPool.shared = source && new VerifyPool(source)
    }
    VerifyPool.shared?.grow(workers)
    return VerifyPool.shared
  }

  private constructor(private readonly source: {code: string; eval: boolean}) {}

  private grow(workers: number): void {
    // a worker that exited (it should not, unless it failed to start) is replaced, a few times at most
    for (let i = this.lanes.length - 1; i >= 0; i--) {
      if (!this.lanes[i].exited) continue
      this.lanes.splice(i, 1)
      this.exits++
    }
    while (this.lanes.length < workers && this.exits < MAX_EXITS) {
      const {port1, port2} = new MessageChannel()
      let worker: Worker
      try {
        worker = new Worker(this.source.code, {eval: this.source.eval, workerData: {port: port1}, transferList: [port1]})
      } catch {
        // no threads here (resource limits, a sandbox): the calling thread checks every range
        port1.close()
        port2.close()
        return
      }
      // idle workers must not keep the process alive; a worker that fails to start just never claims a task
      const lane: Lane = {worker, port: port2, exited: false}
      worker.on('error', () => {})
      worker.on('exit', () => {
        lane.exited = true
      })
      worker.unref()
      port2.unref()
      this.lanes.push(lane)
    }
  }

  /** Offer tasks to the workers; the caller must close() the batch when done with it. */
  submit(tasks: RangeTask[], identity: {dev: number; ino: number}, key: Buffer, rules: RangeRules): Batch {
    const slots = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (2 * tasks.length + 1))
    // a Buffer may be a slice of Node's shared pool, and cloning a view clones its whole
    // ArrayBuffer: send a standalone copy of the key, and wipe it once it has been serialized
    const keyCopy = new Uint8Array(key)
    const message: BatchMessage = {id: this.nextId++, tasks, identity, key: keyCopy, rules, slots}
    try {
      for (const lane of this.lanes) lane.port.postMessage(message)
    } finally {
      sodium.sodium_memzero(keyCopy as Buffer)
    }
    return new Batch(this, message.id, new Int32Array(slots), tasks.length)
  }

  /** Drain every worker's port; keep the results of batch `id`, drop older ones. */
  collect(id: number, inbox: Map<number, RangeResult | undefined>): void {
    for (const lane of this.lanes) {
      for (let received = receiveMessageOnPort(lane.port); received; received = receiveMessageOnPort(lane.port)) {
        const message = received.message as ResultMessage
        if (message.id === id) inbox.set(message.index, message.result)
      }
    }
  }
}

export class Batch {
  private readonly inbox = new Map<number, RangeResult | undefined>()

  constructor(private readonly pool: VerifyPool, private readonly id: number, private readonly slots: Int32Array, readonly size: number) {}

  /** Take task i for the calling thread unless a worker has claimed it; true if it is (now) the caller's. */
  takeBack(i: number): boolean {
    const state = Atomics.compareExchange(this.slots, i, PENDING, TAKEN_BACK)
    return state === PENDING || state === TAKEN_BACK
  }

  done(i: number): boolean {
    return Atomics.load(this.slots, i) === DONE
  }

  /** The result of a task a worker finished; undefined when it has none (the caller checks that range itself). */
  result(i: number): RangeResult | undefined {
    this.pool.collect(this.id, this.inbox)
    const result = this.inbox.get(i)
    return result?.cancelled ? undefined : result
  }

  /**
   * Block until a worker finishes task i; false if it has not reported progress for STALL_MS (the
   * caller then checks that range itself and ignores whatever the worker posts later).
   */
  wait(i: number): boolean {
    let progress = Atomics.load(this.slots, this.size + i)
    let movedAt = Date.now()
    while (Atomics.load(this.slots, i) === CLAIMED) {
      Atomics.wait(this.slots, i, CLAIMED, WAIT_MS)
      const now = Atomics.load(this.slots, this.size + i)
      if (now !== progress) {
        progress = now
        movedAt = Date.now()
      } else if (Date.now() - movedAt > STALL_MS) {
        return false
      }
    }
    return true
  }

  /** Withdraw unclaimed tasks and ask workers to abandon claimed ones (their results are then ignored). */
  close(): void {
    Atomics.store(this.slots, 2 * this.size, 1)
    for (let i = 0; i < this.size; i++) Atomics.compareExchange(this.slots, i, PENDING, TAKEN_BACK)
  }
}
