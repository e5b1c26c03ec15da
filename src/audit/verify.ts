/**
 * `audit verify`: the full O(n) walk over every segment. Sealed records must carry a valid MAC for
 * their place in the chain, unsealed ones a zero MAC and a denial (see mayBeUnsealed); the anchored
 * record must be sealed, MAC-valid and equal to the vault's head. A log re-chained with recomputed
 * unkeyed hashes therefore fails at the anchor at the latest (the systemd CVE-2023-31439 lesson).
 * Reports instead of throwing, saying whether records were damaged or forged ('integrity') or are
 * missing ('rollback').
 *
 * Big segments are split into ranges checked side by side, on worker threads and on this one
 * (verify-split.ts, verify-pool.ts), each from what its first record claims. The walk below still
 * goes through the ranges in file order and keeps such a result only when it begins exactly where
 * the previous range ended and at exactly the chain point reached there; anything else is checked
 * again here, from that point. The report, including the first bad record and its problem, is
 * therefore the one a single sequential walk gives.
 */
import fs from 'node:fs'
import os from 'node:os'

import type {AnchorCheckOptions} from './anchor.js'
import type {AuditAnchor} from './events.js'
import {useNativeCrc32} from './checksum.js'
import {archivePath, closeQuietly, listArchives, openRead, unavailable} from './files.js'
import {ZERO_HASH_HEX, checkAuditKey} from './hash.js'
import {VerifyPool} from './verify-pool.js'
import {type ChainPoint, type RangeResult, type RangeRules, type RangeTask, type VerifyFailure, verifyRange} from './verify-range.js'
import {Guesses, planRanges} from './verify-split.js'

export type {VerifyFailure} from './verify-range.js'

export interface AuditVerifyReport {
  ok: boolean
  records: number
  segments: number
  sealed: number
  firstBadSeq?: number
  problem?: string
  /** when not ok: 'integrity' (a record was damaged, edited or forged) or 'rollback' (records are missing) */
  failure?: VerifyFailure
  /** the live segment ends in a partial record after the anchor (benign; the next append repairs it) */
  tornTail?: boolean
  /** the last good record, or null for an empty log */
  head?: AuditAnchor | null
}

/** Parallelism knobs (tests force the worker path on small logs; benches compare). */
export interface VerifyTuning {
  /** threads including the calling one; default: available CPUs, at most 4 */
  threads?: number
  /** split only segments at least this big (bytes); default 8 MiB, about 24,000 records */
  minSegmentBytes?: number
  /** use workers only when the whole log is at least this big (bytes); default 32 MiB */
  minLogBytes?: number
  /** filled in: how many ranges a worker checked, and how many this thread did */
  stats?: {workerRanges: number; ownRanges: number}
}

const MAX_THREADS = 4
const MIN_SEGMENT_BYTES = 8 * 1024 * 1024
// below this a worker's start-up (~0.1 s compiled) buys nothing
const MIN_LOG_BYTES = 32 * 1024 * 1024

function logBytes(files: {file: string}[]): number {
  let total = 0
  for (const {file} of files) {
    try {
      total += fs.statSync(file).size
    } catch {
      // a missing file is reported by the walk itself
    }
  }
  return total
}

export function verifyLog(
  live: string, key: Buffer, anchor: AuditAnchor | null, options: AnchorCheckOptions = {}, tuning: VerifyTuning = {},
): AuditVerifyReport {
  checkAuditKey(key)
  useNativeCrc32()
  const rules: RangeRules = {anchor, allowed: options.allowSealedAfter ?? 0}
  const report: AuditVerifyReport = {ok: true, records: 0, segments: 0, sealed: 0, head: null}
  let point: ChainPoint = {seq: 0, prev: ZERO_HASH_HEX}
  let sealedAfter = 0
  let anchorSeen = false
  let last: Omit<AuditAnchor, 'head'> | null = null
  const fail = (problem: string, failure: VerifyFailure, badSeq = point.seq): AuditVerifyReport => {
    report.ok = false
    report.firstBadSeq = badSeq
    report.problem = problem
    report.failure = failure
    delete report.head
    return report
  }

  // every segment number up to the newest archive; a gap is reported when the walk reaches it, so
  // the report names the first seq that is missing and any damage before the gap comes first
  const archives = listArchives(live)
  const archiveCount = archives.length > 0 ? archives[archives.length - 1] + 1 : 0
  const files = Array.from({length: archiveCount}, (_, segment) => ({file: archivePath(live, segment), segment, isLive: false}))
  files.push({file: live, segment: archiveCount, isLive: true})

  const threads = Math.max(1, Math.min(tuning.threads ?? os.availableParallelism(), MAX_THREADS))
  const minSegmentBytes = tuning.minSegmentBytes ?? MIN_SEGMENT_BYTES
  const pool = threads > 1 && logBytes(files) >= (tuning.minLogBytes ?? MIN_LOG_BYTES) ? VerifyPool.get(threads - 1) : null

  for (const {file, segment, isLive} of files) {
    const fd = openRead(file)
    if (fd === null) {
      if (isLive) break
      return fail(`segment ${segment} is missing (${file}), so records from seq ${point.seq} on are gone`, 'rollback')
    }
    let guesses: Guesses | undefined
    let problem: string | undefined
    let failure: VerifyFailure = 'integrity'
    let badSeq: number | undefined
    try {
      report.segments++
      const stat = fs.fstatSync(fd)
      const size = stat.size
      const ranges = pool && size >= minSegmentBytes ? planRanges(fd, size, threads) : [{from: 0, limit: size}]
      if (pool && ranges.length > 1) {
        // every range but the first (this thread's) is offered, starting from what its first record claims
        const tasks = ranges.slice(1).map(({from, limit}): RangeTask => ({file, segment, from, limit, start: null, sealedAfterBefore: 0}))
        guesses = new Guesses(pool.submit(tasks, {dev: stat.dev, ino: stat.ino}, key, rules), fd, tasks, key, rules)
      }
      let pos = 0
      for (let j = 0; ; j++) {
        // the planned range, if the walk so far ended exactly where it begins
        const planned = ranges[j]?.from === pos ? ranges[j] : undefined
        const limit = planned?.limit ?? size
        let range: RangeResult | undefined
        if (guesses && planned && j > 0) {
          const guess = guesses.get(j - 1)
          // a guess stands only if it started at the true chain point; the sealed-after count it
          // began with (0) must not matter either
          if (guess?.start && guess.start.seq === point.seq && guess.start.prev === point.prev && (sealedAfter === 0 || guess.sealedAfter === 0)) {
            range = guess
            if (tuning.stats) tuning.stats[guesses.byWorker(j - 1) ? 'workerRanges' : 'ownRanges']++
          }
        }
        if (range === undefined) {
          range = verifyRange(fd, {file, segment, from: pos, limit, start: point, sealedAfterBefore: sealedAfter}, key, rules)
          if (tuning.stats) tuning.stats.ownRanges++
        }
        report.records += range.records
        report.sealed += range.sealed
        sealedAfter += range.sealedAfter
        if (range.anchorSeen) anchorSeen = true
        if (range.last) last = {segment, seq: range.last.seq, offset: range.last.offset}
        if (range.next) point = range.next
        pos = range.end
        if (range.problem !== undefined) {
          problem = range.problem
          failure = range.failure ?? 'integrity'
          badSeq = range.badSeq
          break
        }
        if (range.status === 'bad') {
          problem = `damaged record (${range.why})`
          break
        }
        if (range.status === 'torn' && limit === size) {
          if (isLive) report.tornTail = true
          else {
            // cut short: whatever followed the cut is gone
            problem = 'archived segment ends in a partial record'
            failure = 'rollback'
          }
          break
        }
        // done at the segment's end, or where it ended early (it shrank while being read); otherwise
        // this range ended at a planned boundary, or was torn across one (a wrong guess), and the
        // next turn continues from pos
        if (range.status === 'eof' && (limit === size || pos >= size)) break
      }
    } catch (error) {
      throw unavailable(error, 'read', file)
    } finally {
      guesses?.close()
      closeQuietly(fd)
    }
    if (problem !== undefined) return fail(problem, failure, badSeq)
  }
  if (anchor && !anchorSeen) return fail(`the log ends before the anchored record (seq ${anchor.seq}): truncated or rolled back`, 'rollback')
  const final = last as Omit<AuditAnchor, 'head'> | null
  report.head = final && {...final, head: point.prev}
  return report
}
