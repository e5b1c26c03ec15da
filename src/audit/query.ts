/** Audit queries for `audit tail` and `audit verify`: typed options in, records or a report out. */
import {parseDuration} from '../cli/duration.js'
import {VaultError, usageError} from '../cli/errors.js'
import type {AuditAnchor, AuditRecord} from './events.js'
import {rollback} from './files.js'
import type {AuditLog} from './log.js'
import {type AuditVerifyReport, verifyLog} from './verify.js'

/** "2026-11-01", an ISO time, or a duration back from now ("1h", "7d"). */
export function parseSince(text: string, now: Date): Date {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const time = Date.parse(text)
    if (Number.isNaN(time)) throw usageError(`--since: cannot read the date "${text}"`)
    return new Date(time)
  }
  return new Date(now.getTime() - parseDuration(text, '--since'))
}

export interface TailQuery {
  limit: number
  asset?: string
  type?: string
  since?: Date
}

export interface TailResult {
  records: AuditRecord[]
  /** an archived segment that should hold older matching records but is gone: the list is incomplete */
  missingSegment?: string
}

export function tailAudit(log: AuditLog, query: TailQuery): TailResult {
  if (!Number.isSafeInteger(query.limit) || query.limit < 1 || query.limit > 100_000) throw usageError('-n must be between 1 and 100000', ['e.g. codex-vault audit tail -n 50'])
  let missingSegment: string | undefined
  const records = log.tail({...query, onMissingSegment: (file) => { missingSegment = file }})
  return missingSegment === undefined ? {records} : {records, missingSegment}
}

export function matchesQuery(record: AuditRecord, query: Omit<TailQuery, 'limit'>): boolean {
  if (query.asset && record.asset !== query.asset) return false
  if (query.type && record.type !== query.type && !record.type.startsWith(`${query.type}.`)) return false
  if (query.since && Date.parse(record.ts) < query.since.getTime()) return false
  return true
}

/** Wait `ms`, or less if the signal aborts; either way no listener is left on the signal. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, {once: true})
  })
}

// records after the last one shown are new records: any number of them may be sealed
const FOLLOW_CHECK = {allowSealedAfter: Number.MAX_SAFE_INTEGER}

/**
 * Polls for new records until the signal aborts; no daemon, no watcher state on disk. Each poll
 * first checks that the last record shown is still where it was and that what follows chains on
 * from it, so a log cut short or swapped for another copy ends the follow with ROLLBACK instead of
 * going quiet.
 */
export async function followAudit(log: AuditLog, from: AuditAnchor | null, query: Omit<TailQuery, 'limit'>, emit: (record: AuditRecord) => void, signal: AbortSignal, intervalMs = 250): Promise<void> {
  let seen = from
  while (!signal.aborted) {
    // the head first: whatever is cut after this is caught by the check below or by the next poll's
    const head = log.head()
    if (seen !== null) stillThere(log, seen)
    if (head !== null && (seen === null || head.seq > seen.seq)) {
      for (const record of log.readAfter(seen?.seq ?? -1)) {
        if (record.seq > head.seq) break
        if (matchesQuery(record, query)) emit(record)
      }
      seen = head
    }
    await pause(intervalMs, signal)
  }
}

function stillThere(log: AuditLog, seen: AuditAnchor): void {
  try {
    log.checkAnchor(seen, FOLLOW_CHECK)
  } catch (error) {
    if (!(error instanceof VaultError && error.code === 'ROLLBACK')) throw error
    throw rollback(`the last record shown (seq ${seen.seq}) is gone or changed: the log shrank or was replaced while being followed`, {seq: seen.seq, detail: error.message})
  }
}

/**
 * The full walk, failing with INTEGRITY (exit 5) when a record is damaged, edited or forged and with
 * ROLLBACK (exit 10) when records are missing. `anchorCheck` is the boot-time anchor check's failure,
 * if any (BootOptions.deferAuditCheck): the walk names the first bad record more precisely, and the
 * check's verdict stands when the walk finds nothing.
 */
export function verifyAudit(log: AuditLog, key: Buffer, anchor: AuditAnchor | null, anchorCheck?: VaultError): AuditVerifyReport {
  const report = verifyLog(log.path, key, anchor, {allowSealedAfter: 1})
  if (report.ok && anchorCheck) throw anchorCheck
  if (!report.ok) {
    const message = `audit log verification failed at record ${report.firstBadSeq ?? '?'}: ${report.problem ?? 'unknown problem'}`
    if (report.failure === 'rollback') {
      throw new VaultError('ROLLBACK', message, {
        suggestions: ['records are missing: the log was truncated or rolled back, or the vault is older than its log; keep a copy of both for investigation and restore them together from a trusted backup'],
        details: {report},
      })
    }
    throw new VaultError('INTEGRITY', message, {
      suggestions: ['a record was damaged, edited or forged; keep a copy of the log and the vault for investigation, and restore both from a trusted backup'],
      details: {report},
    })
  }
  return report
}
