/**
 * How `audit verify` splits a big segment, and who checks each piece. A segment becomes several
 * ranges per thread, cut at guessed record starts; the first range is the calling thread's, the
 * others are offered to the workers and taken back by the calling thread whenever it would
 * otherwise wait, so whoever is free takes on the next piece. All but the first are checked from
 * what their first record claims: guesses that verify.ts keeps only if they prove right.
 */
import {guessRecordStart} from './scan.js'
import type {Batch} from './verify-pool.js'
import {type RangeResult, type RangeRules, type RangeTask, verifyRange} from './verify-range.js'

const RANGES_PER_THREAD = 8
const MIN_RANGE_BYTES = 4 * 1024 * 1024

export interface Range {
  from: number
  limit: number
}

/** [from, limit) pieces of a segment of `size` bytes, split at guessed record starts. */
export function planRanges(fd: number, size: number, threads: number): Range[] {
  // several ranges per thread, so that whoever is done first takes on more
  const pieces = Math.min(threads * RANGES_PER_THREAD, Math.max(threads, Math.floor(size / MIN_RANGE_BYTES)))
  const starts = [0]
  for (let k = 1; k < pieces; k++) {
    const start = guessRecordStart(fd, Math.floor((size * k) / pieces), size)
    if (start > starts[starts.length - 1]) starts.push(start)
  }
  return starts.map((from, k) => ({from, limit: k + 1 < starts.length ? starts[k + 1] : size}))
}

/**
 * Results for the ranges after a segment's first, each checked from what its first record claims:
 * by a worker, or by this thread while it would otherwise wait for one (so a worker that starts
 * late or shares its CPU with other work holds the walk up by one range at most).
 */
export class Guesses {
  // ranges this thread took: its guess, or undefined if taken back to be checked from the true point
  private readonly mine: boolean[] = []
  private readonly own: (RangeResult | undefined)[] = []

  constructor(private readonly batch: Batch, private readonly fd: number, private readonly tasks: RangeTask[], private readonly key: Buffer, private readonly rules: RangeRules) {}

  /** The guess for task i, or undefined when the caller must check that range from the true point. */
  get(i: number): RangeResult | undefined {
    for (;;) {
      if (this.mine[i]) return this.own[i]
      if (this.batch.takeBack(i)) {
        this.mine[i] = true
        return undefined
      }
      if (this.batch.done(i)) return this.batch.result(i)
      // a worker has it: meanwhile take on the next range nobody has claimed
      const k = this.takeNext(i)
      if (k >= 0) this.own[k] = verifyRange(this.fd, this.tasks[k], this.key, this.rules)
      else if (!this.batch.wait(i)) return undefined
    }
  }

  byWorker(i: number): boolean {
    return !this.mine[i]
  }

  close(): void {
    this.batch.close()
  }

  private takeNext(after: number): number {
    for (let k = after + 1; k < this.tasks.length; k++) {
      if (this.mine[k]) continue
      if (this.batch.takeBack(k)) {
        this.mine[k] = true
        return k
      }
    }
    return -1
  }
}
