/**
 * The per-record half of `audit verify`: check one stretch [from, limit) of one segment file. The
 * driver (verify.ts) runs stretches in file order, some of them on worker threads (verify-pool.ts).
 * A worker does not know where the chain stands at its stretch, so it starts from what the first
 * record claims (start null); the driver uses such a result only if that claim turns out to be
 * exactly the true chain point, which makes it the result a single walk would have produced.
 */
import {ChainState, mayBeUnsealed} from './chain.js'
import type {AuditAnchor} from './events.js'
import {MAC_BYTES, MacSealer, bytesAt, equalBytes, isZero} from './hash.js'
import {HEADER_BYTES, parsePayload} from './record.js'
import {type ScanEnd, scanForward} from './scan.js'

/** Where the chain stands: the next record's seq and the previous record's hash (hex). */
export interface ChainPoint {
  seq: number
  prev: string
}

export interface RangeTask {
  file: string
  segment: number
  from: number
  limit: number
  /** the true chain point at `from`, or null to take the first record's own seq and prev */
  start: ChainPoint | null
  /** sealed records after the anchor before `from` (0 for a worker's range) */
  sealedAfterBefore: number
}

export interface RangeRules {
  anchor: AuditAnchor | null
  /** AnchorCheckOptions.allowSealedAfter */
  allowed: number
}

export interface RangeResult {
  /** the point the range was checked from (null: its first record could not be read) */
  start: ChainPoint | null
  /** the point after the last accepted record */
  next: ChainPoint | null
  records: number
  sealed: number
  /** sealed records after the anchor in this range */
  sealedAfter: number
  anchorSeen: boolean
  /** seq and file offset of the last accepted record */
  last: {seq: number; offset: number} | null
  /** file offset after the last whole record visited, and how the scan ended */
  end: number
  status: ScanEnd['status']
  why?: string
  /** the first failed check, at seq badSeq */
  problem?: string
  badSeq?: number
  /** what the failed check means: see VerifyFailure */
  failure?: VerifyFailure
  /** keepGoing said stop: the result is incomplete */
  cancelled?: boolean
}

/**
 * 'integrity': a record that is there is damaged, edited, forged, out of order or fails its MAC
 * (exit 5). 'rollback': records that should be there are not: truncation, a missing segment, a
 * log older than its vault or a vault older than its log (exit 10).
 */
export type VerifyFailure = 'integrity' | 'rollback'

/** How often (in records, a power of two) verifyRange calls `keepGoing`: progress for the pool, and cancellation. */
export const PROGRESS_RECORDS = 4096

export function verifyRange(fd: number, task: RangeTask, key: Buffer, rules: RangeRules, keepGoing?: () => boolean): RangeResult {
  const {anchor, allowed} = rules
  const sealer = new MacSealer(key)
  const result: RangeResult = {
    start: task.start, next: task.start, records: 0, sealed: 0, sealedAfter: 0, anchorSeen: false, last: null, end: task.from, status: 'eof',
  }
  let state = task.start && new ChainState(task.start.seq, task.start.prev)
  let sealedAfter = task.sealedAfterBefore
  let lastSeq = -1
  let lastOffset = -1
  const fail = (problem: string, badSeq: number, failure: VerifyFailure = 'integrity'): false => {
    result.problem = problem
    result.badSeq = badSeq
    result.failure = failure
    return false
  }
  const end = scanForward(fd, task.from, task.limit, (buf, start, length, offset) => {
    if (state === null) {
      const payload = parsePayload(buf.subarray(start + HEADER_BYTES, start + HEADER_BYTES + length), false)
      // the driver never uses a guessed range whose start is unknown: it checks this stretch itself
      if (typeof payload === 'string') return fail(payload, -1)
      result.start = {seq: payload.seq, prev: payload.prev}
      state = new ChainState(payload.seq, payload.prev)
    }
    if (keepGoing && (result.records & (PROGRESS_RECORDS - 1)) === PROGRESS_RECORDS - 1 && !keepGoing()) {
      result.cancelled = true
      return false
    }
    const step = state.step(buf, start + HEADER_BYTES, length, task.segment)
    if (typeof step === 'string') {
      // a segment file that starts further on in the chain: what came before it is gone
      const skipped = offset === 0 ? state.skippedTo : null
      if (skipped !== null) {
        const gone = skipped.segment > task.segment
          ? `segment ${task.segment} is missing (the next file holds segment ${skipped.segment}, from seq ${skipped.seq})`
          : `records ${state.seq} to ${skipped.seq - 1} are missing: ${task.segment > 0 ? `segment ${task.segment - 1} was cut short` : 'the log was cut at its start'}`
        return fail(gone, state.seq, 'rollback')
      }
      return fail(step, state.seq)
    }
    const stored = bytesAt(buf, start + HEADER_BYTES + length, MAC_BYTES)
    if (step.sealed) {
      if (!equalBytes(sealer.seal(step.hash), stored)) return fail('seal (MAC) does not verify: record edited, or a different key', step.seq)
    } else if (!isZero(stored)) {
      return fail('unsealed record carries a MAC', step.seq)
    } else if (!mayBeUnsealed(step)) {
      return fail(`unsealed record with outcome '${step.outcome}': only denials are written unsealed, so it was forged or its seal removed`, step.seq)
    }
    if (anchor && step.seq === anchor.seq) {
      result.anchorSeen = true
      if (!step.sealed || task.segment !== anchor.segment || offset !== anchor.offset || step.hash.toString('hex') !== anchor.head) {
        // a sealed record here carries our MAC: a genuine record of another copy of the log
        return step.sealed
          ? fail('record does not match the vault\'s anchor: the log was replaced by an older or another copy', step.seq, 'rollback')
          : fail('record does not match the vault\'s anchor (log re-chained, edited or replaced)', step.seq)
      }
    } else if (anchor && step.seq > anchor.seq && step.sealed) {
      result.sealedAfter++
      if (++sealedAfter > allowed) return fail('a sealed record follows the vault\'s anchor: the vault is older than its audit log', step.seq, 'rollback')
    }
    result.records++
    if (step.sealed) result.sealed++
    lastSeq = step.seq
    lastOffset = offset
    return true
  })
  if (lastSeq >= 0) result.last = {seq: lastSeq, offset: lastOffset}
  result.end = end.end
  result.status = end.status
  if (end.why !== undefined) result.why = end.why
  if (state !== null) result.next = {seq: state.seq, prev: state.headHex}
  return result
}
