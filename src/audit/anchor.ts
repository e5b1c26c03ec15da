/**
 * The O(1)-ish check every authenticated command runs: the vault remembers (segment, seq, offset,
 * head) of the last sealed record; we re-read only that record and the few records after it.
 * Truncation, rollback or an edit at or after the anchor is caught here (ROLLBACK); so is a
 * forged unsealed record after it (INTEGRITY), before a sealed record could chain over it. Edits
 * before the anchor are left to `audit verify`, which walks everything.
 */
import fs from 'node:fs'

import {VaultError} from '../cli/errors.js'
import {ChainState, mayBeUnsealed, recordHash} from './chain.js'
import type {AuditAnchor} from './events.js'
import {archivePath, closeQuietly, openRead, readAt, rollback, unavailable} from './files.js'
import {MAC_BYTES, bytesAt, isZero} from './hash.js'
import {HEADER_BYTES, OVERHEAD, decodeFrame, parsePayload} from './record.js'
import {scanForward} from './scan.js'

export interface AnchorCheckOptions {
  /**
   * How many sealed records may follow the anchor. Default 0: every sealed append is followed by an
   * anchor update in the vault, so a sealed record after the anchor means the vault is older than
   * its log (vault rolled back), or a command crashed between its audit append and its vault write.
   */
  allowSealedAfter?: number
}

export interface AnchorCheck {
  /** records found after the anchored one (normally a few unsealed denials) */
  recordsAfter: number
  sealedAfter: number
  /** an interrupted write left a partial record at the end; the next append repairs it */
  tornTail: boolean
}

const HEX64 = /^[0-9a-f]{64}$/

export function isAnchor(value: unknown): value is AuditAnchor {
  const a = value as AuditAnchor
  return a !== null && typeof a === 'object'
    && Number.isSafeInteger(a.segment) && a.segment >= 0
    && Number.isSafeInteger(a.seq) && a.seq >= 0
    && Number.isSafeInteger(a.offset) && a.offset >= 0
    && typeof a.head === 'string' && HEX64.test(a.head)
}

/** The file holding segment n: its archive if rotated away, else the live file. */
export function openSegment(live: string, segment: number): {fd: number | null; isLive: boolean} {
  const archived = openRead(archivePath(live, segment))
  if (archived !== null) return {fd: archived, isLive: false}
  return {fd: openRead(live), isLive: true}
}

function readAnchored(fd: number, anchor: AuditAnchor, size: number): number {
  const where = {segment: anchor.segment, seq: anchor.seq, offset: anchor.offset}
  if (anchor.offset + OVERHEAD > size) throw rollback(`the log ends before the anchored record (seq ${anchor.seq})`, where)
  const header = Buffer.alloc(HEADER_BYTES)
  readAt(fd, header, 0, HEADER_BYTES, anchor.offset)
  if (decodeFrame(header, 0, HEADER_BYTES).kind === 'bad') throw rollback(`no record starts at the anchored offset (seq ${anchor.seq})`, where)
  const recordSize = header.readUInt32LE(4) + OVERHEAD
  if (anchor.offset + recordSize > size) throw rollback(`the log ends inside the anchored record (seq ${anchor.seq})`, where)
  const bytes = Buffer.alloc(recordSize)
  readAt(fd, bytes, 0, recordSize, anchor.offset)
  if (decodeFrame(bytes, 0, recordSize).kind !== 'ok') throw rollback(`the anchored record (seq ${anchor.seq}) is damaged`, where)
  const payloadBytes = bytes.subarray(HEADER_BYTES, recordSize - OVERHEAD + HEADER_BYTES)
  const payload = parsePayload(payloadBytes)
  if (typeof payload === 'string' || payload.seq !== anchor.seq || payload.segment !== anchor.segment) {
    throw rollback(`the record at the anchored offset is not seq ${anchor.seq}`, where)
  }
  if (recordHash(payload, payloadBytes).toString('hex') !== anchor.head) {
    throw rollback(`the anchored record (seq ${anchor.seq}) was edited or replaced`, where)
  }
  return anchor.offset + recordSize
}

function forgery(detail: string, details: Record<string, unknown>): VaultError {
  return new VaultError('INTEGRITY', `audit log integrity check failed: ${detail}`, {
    // recorded as what it is, not as damage to the vault file
    details: {...details, auditType: 'audit.integrity'},
    suggestions: [
      'run `codex-vault audit verify` to name the first bad record, and keep a copy of the log for investigation',
      'restore the vault and its .audit files together from the same backup',
    ],
  })
}

export function checkAnchorAt(live: string, anchor: AuditAnchor | null, options: AnchorCheckOptions = {}): AnchorCheck {
  const result: AnchorCheck = {recordsAfter: 0, sealedAfter: 0, tornTail: false}
  if (anchor === null) return result
  if (!isAnchor(anchor)) throw new VaultError('INTERNAL', 'invalid audit anchor')
  const allowed = options.allowSealedAfter ?? 0
  const state = new ChainState(anchor.seq + 1, anchor.head)
  let segment = anchor.segment
  let {fd, isLive} = openSegment(live, segment)
  if (fd === null) throw rollback(`the segment holding the anchored record (seq ${anchor.seq}) is missing`, {segment})
  let from = -1
  for (;;) {
    let failure: string | undefined
    let forged: string | undefined
    try {
      const size = fs.fstatSync(fd).size
      if (from < 0) from = readAnchored(fd, anchor, size)
      const end = scanForward(fd, from, size, (buf, start, length) => {
        const step = state.step(buf, start + HEADER_BYTES, length, segment)
        if (typeof step === 'string') {
          failure = `record seq ${state.seq} after the anchor does not chain: ${step}`
          return false
        }
        result.recordsAfter++
        if (!step.sealed && (!mayBeUnsealed(step) || !isZero(bytesAt(buf, start + HEADER_BYTES + length, MAC_BYTES)))) {
          forged = `an unsealed record (seq ${step.seq}) after the vault's anchor ${mayBeUnsealed(step) ? 'carries a MAC' : `records outcome '${step.outcome}'`}; only denials are written unsealed, so it was forged`
          return false
        }
        if (step.sealed && ++result.sealedAfter > allowed) {
          failure = `a sealed record (seq ${step.seq}) follows the vault's anchor: the vault is older than its audit log`
          return false
        }
        return true
      })
      if (failure === undefined && end.status === 'bad') failure = `record seq ${state.seq} after the anchor is damaged (${end.why})`
      if (failure === undefined && end.status === 'torn') {
        if (isLive) result.tornTail = true
        else failure = `archived segment ${segment} ends in a partial record`
      }
    } catch (error) {
      throw unavailable(error, 'read', live)
    } finally {
      closeQuietly(fd)
    }
    if (forged !== undefined) throw forgery(forged, {segment, anchorSeq: anchor.seq})
    if (failure !== undefined) throw rollback(failure, {segment, anchorSeq: anchor.seq})
    if (isLive) return result
    segment += 1
    from = 0
    ;({fd, isLive} = openSegment(live, segment))
    if (fd === null) return result
  }
}
