/**
 * `audit verify`: the full O(n) walk over every segment. Sealed records must carry a valid MAC for
 * their place in the chain, unsealed ones a zero MAC; the anchored record must be sealed, MAC-valid
 * and equal to the vault's head. A log re-chained with recomputed unkeyed hashes therefore fails at
 * the anchor at the latest (the systemd CVE-2023-31439 lesson). Reports instead of throwing.
 */
import fs from 'node:fs'

import type {AnchorCheckOptions} from './anchor.js'
import {ChainState} from './chain.js'
import type {AuditAnchor} from './events.js'
import {archivePath, closeQuietly, listArchives, openRead, unavailable} from './files.js'
import {MAC_BYTES, MAC_INPUT_BYTES, checkAuditKey, equalBytes, isZero, sealMac} from './hash.js'
import {HEADER_BYTES} from './record.js'
import {scanForward} from './scan.js'

export interface AuditVerifyReport {
  ok: boolean
  records: number
  segments: number
  sealed: number
  firstBadSeq?: number
  problem?: string
  /** the live segment ends in a partial record after the anchor (benign; the next append repairs it) */
  tornTail?: boolean
  /** the last good record, or null for an empty log */
  head?: AuditAnchor | null
}

export function verifyLog(live: string, key: Buffer, anchor: AuditAnchor | null, options: AnchorCheckOptions = {}): AuditVerifyReport {
  checkAuditKey(key)
  const allowed = options.allowSealedAfter ?? 0
  const report: AuditVerifyReport = {ok: true, records: 0, segments: 0, sealed: 0, head: null}
  const state = new ChainState()
  const mac = Buffer.allocUnsafe(MAC_BYTES)
  const macInput = Buffer.allocUnsafe(MAC_INPUT_BYTES)
  let sealedAfter = 0
  let anchorSeen = false
  let last: Omit<AuditAnchor, 'head'> | null = null
  // set when a record parsed and chained but failed a later check (state.seq has moved past it)
  let badSeq: number | undefined
  const fail = (problem: string): AuditVerifyReport => {
    report.ok = false
    report.firstBadSeq = badSeq ?? state.seq
    report.problem = problem
    delete report.head
    return report
  }

  const archives = listArchives(live)
  for (let i = 0; i < archives.length; i++) {
    if (archives[i] !== i) return fail(`segment ${i} is missing (found ${archivePath(live, archives[i])})`)
  }
  const files = archives.map((segment) => ({file: archivePath(live, segment), segment, isLive: false}))
  files.push({file: live, segment: archives.length, isLive: true})

  for (const {file, segment, isLive} of files) {
    const fd = openRead(file)
    if (fd === null) {
      if (isLive) break
      return fail(`segment ${segment} disappeared during verification`)
    }
    let problem: string | undefined
    try {
      report.segments++
      const size = fs.fstatSync(fd).size
      const end = scanForward(fd, 0, size, (buf, start, length, offset) => {
        const payloadStart = start + HEADER_BYTES
        const step = state.step(buf.subarray(payloadStart, payloadStart + length), segment)
        if (typeof step === 'string') {
          problem = step
          return false
        }
        const {payload} = step
        const stored = buf.subarray(payloadStart + length, payloadStart + length + MAC_BYTES)
        if (payload.sealed) {
          if (!equalBytes(sealMac(key, step.hash, mac, macInput), stored)) {
            problem = 'seal (MAC) does not verify: record edited, or a different key'
            badSeq = payload.seq
            return false
          }
        } else if (!isZero(stored)) {
          problem = 'unsealed record carries a MAC'
          badSeq = payload.seq
          return false
        }
        if (anchor && payload.seq === anchor.seq) {
          anchorSeen = true
          if (!payload.sealed || segment !== anchor.segment || offset !== anchor.offset || step.hash.toString('hex') !== anchor.head) {
            problem = 'record does not match the vault\'s anchor (log re-chained, edited or replaced)'
            badSeq = payload.seq
            return false
          }
        } else if (anchor && payload.seq > anchor.seq && payload.sealed && ++sealedAfter > allowed) {
          problem = 'a sealed record follows the vault\'s anchor: the vault is older than its audit log'
          badSeq = payload.seq
          return false
        }
        report.records++
        if (payload.sealed) report.sealed++
        last = {segment, seq: payload.seq, offset}
        return true
      })
      if (problem === undefined && end.status === 'bad') problem = `damaged record (${end.why})`
      if (problem === undefined && end.status === 'torn') {
        if (isLive) report.tornTail = true
        else problem = 'archived segment ends in a partial record'
      }
    } catch (error) {
      throw unavailable(error, 'read', file)
    } finally {
      closeQuietly(fd)
    }
    if (problem !== undefined) return fail(problem)
  }
  if (anchor && !anchorSeen) return fail(`the log ends before the anchored record (seq ${anchor.seq}): truncated or rolled back`)
  const final = last as Omit<AuditAnchor, 'head'> | null
  report.head = final && {...final, head: state.headHex}
  return report
}
