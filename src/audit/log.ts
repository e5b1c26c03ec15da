/**
 * The append-only, hash-chained audit log beside the vault (`<vault>.audit`). Appends are O(1): the
 * previous head is read backwards from EOF and the new record goes out in one write + fsync.
 * Callers hold the vault's inter-process lock for append; reads need no lock.
 */
import fs from 'node:fs'
import path from 'node:path'

import {VaultError} from '../cli/errors.js'
import {hideKeyLikeDeep} from '../cli/key-like.js'
import {type AnchorCheck, type AnchorCheckOptions, checkAnchorAt} from './anchor.js'
import {recordHash} from './chain.js'
import {type AuditAnchor, type AuditEvent, type AuditRecord, typeMatches, validateEvent} from './events.js'
import {
  archivePath, closeQuietly, fsyncDir, listArchives, openAppend, openRead, rollback, unavailable, writeAll,
} from './files.js'
import {ZERO_HASH, ZERO_HASH_HEX, checkAuditKey} from './hash.js'
import {HEADER_BYTES, type StoredPayload, encodeRecord, parsePayload, payloadFor, toRecord} from './record.js'
import {scanBackward, findTail} from './scan.js'

export type {AnchorCheck, AnchorCheckOptions} from './anchor.js'

export interface AuditLogOptions {
  path: string
  /** rotate the live file before an append would take it past this size; default 64 MiB */
  segmentBytes?: number
  now?: () => Date
}

export interface TailOptions {
  limit: number
  asset?: string
  /** exact type, or a prefix such as 'run' matching 'run.*' */
  type?: string
  /** records are in time order, so reading stops at the first older record */
  since?: Date
  /** called with the path of an archived segment that should hold older records but is gone */
  onMissingSegment?: (file: string) => void
}

interface Place {
  seq: number
  prev: Buffer
  prevHex: string
  segment: number
}

interface Found {
  payload: StoredPayload
  hash: string
  offset: number
}

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024

export class AuditLog {
  readonly path: string
  readonly segmentBytes: number
  private readonly now: () => Date

  constructor(options: AuditLogOptions) {
    this.path = path.resolve(options.path)
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES
    if (!Number.isSafeInteger(this.segmentBytes) || this.segmentBytes <= 0) {
      throw new VaultError('INTERNAL', 'segmentBytes must be a positive integer')
    }
    this.now = options.now ?? (() => new Date())
  }

  /**
   * Append one record, sealed with `key` (the 32-byte audit MAC key) or chain-only when null.
   * Repairs a torn tail first (truncate + an 'audit.repair' record) and rotates by size. Any I/O
   * failure throws AUDIT_UNAVAILABLE and the caller must not perform the audited effect.
   */
  append(input: AuditEvent, key: Buffer | null): AuditAnchor {
    // free text (a --reason, an asset name, a path) can hold a key pasted by mistake: the log is
    // forever and readable by anyone who can read the vault folder, so key-shaped words are stored
    // as a preview only (fingerprints are hex, ids short: neither is touched)
    const event = hideKeyLikeDeep(input)
    validateEvent(event)
    if (key !== null) checkAuditKey(key)
    let fd = -1
    let created = false
    let committed = -1
    try {
      ({fd, created} = openAppend(this.path))
      let size = fs.fstatSync(fd).size
      const tail = findTail(fd, size)
      if (tail.bad) throw rollback(`${tail.bad} at the end of ${this.path}`, {offset: tail.end})
      let place = this.placeAfter(fd, tail.end)
      const events: AuditEvent[] = []
      if (tail.torn) {
        fs.ftruncateSync(fd, tail.end)
        fs.fsyncSync(fd)
        events.push({
          type: 'audit.repair', outcome: 'ok',
          reason: 'removed a partial record left by an interrupted write',
          data: {segment: place.segment, offset: tail.end, bytes: size - tail.end},
        })
        size = tail.end
      }
      events.push(event)
      let encoded = this.encode(events, place, key)
      if (size > 0 && size + encoded.bytes.length > this.segmentBytes) {
        fd = this.rotate(fd, place.segment)
        created = true
        size = 0
        place = {...place, segment: place.segment + 1}
        encoded = this.encode(events, place, key)
      }
      committed = size
      writeAll(fd, encoded.bytes)
      fs.fsyncSync(fd)
      committed = -1
      if (created) fsyncDir(this.path)
      return {segment: place.segment, seq: encoded.seq, offset: size + encoded.lastOffset, head: encoded.head}
    } catch (error) {
      // leave no partial record behind a failed write: the caller will refuse the action
      if (committed >= 0 && fd >= 0) {
        try {
          fs.ftruncateSync(fd, committed)
        } catch {
          // the next append sees a torn tail and repairs it
        }
      }
      throw unavailable(error, 'append to', this.path)
    } finally {
      if (fd >= 0) closeQuietly(fd)
    }
  }

  /**
   * O(1)-ish check on every authenticated command; throws ROLLBACK when the log was truncated,
   * rolled back or edited at or after the anchor. A torn trailing record is not an error here.
   */
  checkAnchor(anchor: AuditAnchor | null, options: AnchorCheckOptions = {}): AnchorCheck {
    return checkAnchorAt(this.path, anchor, options)
  }

  /** Up to `limit` matching records read newest-first from the end, returned oldest-first. */
  tail(options: TailOptions): AuditRecord[] {
    const limit = Math.max(0, Math.floor(options.limit))
    const out: AuditRecord[] = []
    if (limit === 0) return out
    const since = options.since?.getTime()
    const missing = this.walkBackward(({payload, hash}) => {
      if (since !== undefined && Date.parse(payload.ts) < since) return false
      if (options.asset !== undefined && payload.asset !== options.asset) return true
      if (options.type !== undefined && !typeMatches(payload.type, options.type)) return true
      out.push(toRecord(payload, hash))
      return out.length < limit
    })
    if (missing !== null) options.onMissingSegment?.(missing)
    return out.reverse()
  }

  /** Records after the given seq (for --follow polling), oldest first. */
  readAfter(seq: number): AuditRecord[] {
    const out: AuditRecord[] = []
    this.walkBackward(({payload, hash}) => {
      if (payload.seq <= seq) return false
      out.push(toRecord(payload, hash))
      return true
    })
    return out.reverse()
  }

  /** The last whole record's anchor, or null for an empty or missing log. */
  head(): AuditAnchor | null {
    let found: AuditAnchor | null = null
    this.walkBackward(({payload, hash, offset}) => {
      found = {segment: payload.segment, seq: payload.seq, offset, head: hash}
      return false
    })
    return found
  }

  private encode(events: AuditEvent[], place: Place, key: Buffer | null) {
    const ts = this.now().toISOString()
    const parts: Buffer[] = []
    let prev = place.prev
    let prevHex = place.prevHex
    let seq = place.seq
    let length = 0
    let lastOffset = 0
    for (const event of events) {
      const payload = payloadFor(event, {seq, prev: prevHex, segment: place.segment, ts, pid: process.pid, sealed: key !== null})
      const record = encodeRecord(payload, prev, key)
      lastOffset = length
      length += record.bytes.length
      parts.push(record.bytes)
      prev = record.hash
      prevHex = record.hash.toString('hex')
      seq += 1
    }
    return {bytes: Buffer.concat(parts, length), seq: seq - 1, head: prevHex, lastOffset}
  }

  /** Where the next record goes: after the live file's last record, or after the newest archive's. */
  private placeAfter(fd: number, end: number): Place {
    let last: Found | null = null
    let segment = 0
    if (end > 0) {
      last = this.lastIn(fd, end, this.path)
      segment = last.payload.segment
    } else {
      const archives = listArchives(this.path)
      if (archives.length > 0) {
        segment = archives[archives.length - 1]
        const archive = archivePath(this.path, segment)
        const archiveFd = openRead(archive)
        if (archiveFd === null) throw unavailable(Object.assign(new Error('vanished'), {code: 'ENOENT'}), 'read', archive)
        try {
          last = this.lastIn(archiveFd, fs.fstatSync(archiveFd).size, archive)
        } finally {
          closeQuietly(archiveFd)
        }
        segment += 1
      }
    }
    if (last === null) return {seq: 0, prev: ZERO_HASH, prevHex: ZERO_HASH_HEX, segment}
    return {seq: last.payload.seq + 1, prev: Buffer.from(last.hash, 'hex'), prevHex: last.hash, segment}
  }

  private lastIn(fd: number, end: number, file: string): Found {
    let found: Found | null = null
    let why = 'empty segment'
    const result = scanBackward(fd, end, (buf, start, length, offset) => {
      const bytes = buf.subarray(start + HEADER_BYTES, start + HEADER_BYTES + length)
      const payload = parsePayload(bytes)
      if (typeof payload === 'string') {
        why = payload
        return false
      }
      found = {payload, hash: recordHash(payload, bytes).toString('hex'), offset}
      return false
    })
    if (result.status === 'bad') why = result.why ?? 'damaged record'
    if (found === null) throw rollback(`the last record of ${file} is unreadable (${why})`)
    return found
  }

  /** Archive the live file as segment n and open a fresh live file. */
  private rotate(fd: number, segment: number): number {
    const target = archivePath(this.path, segment)
    if (fs.existsSync(target)) {
      throw new VaultError('AUDIT_UNAVAILABLE', `cannot rotate the audit log: ${target} already exists`, {
        suggestions: ['move the stray segment file away after checking it with `codex-vault audit verify`'],
      })
    }
    fs.closeSync(fd)
    fs.renameSync(this.path, target)
    fsyncDir(this.path)
    return openAppend(this.path).fd
  }

  /**
   * Visit whole records newest-first across the live file and its archives; stop when visit says
   * so. Returns the path of an archived segment the walk needed but did not find, else null.
   */
  private walkBackward(visit: (found: Found) => boolean): string | null {
    let segment: number | undefined
    let file = this.path
    let fd = openRead(file)
    let first = true
    for (;;) {
      if (fd !== null) {
        let keepGoing = true
        try {
          const size = fs.fstatSync(fd).size
          let end = size
          if (first) {
            const tail = findTail(fd, size)
            if (tail.bad) throw rollback(`${tail.bad} at the end of ${file}`)
            end = tail.end
          }
          let problem: string | undefined
          const result = scanBackward(fd, end, (buf, start, length, offset) => {
            const bytes = buf.subarray(start + HEADER_BYTES, start + HEADER_BYTES + length)
            const payload = parsePayload(bytes)
            if (typeof payload === 'string') {
              problem = payload
              return false
            }
            segment = payload.segment
            keepGoing = visit({payload, hash: recordHash(payload, bytes).toString('hex'), offset})
            return keepGoing
          })
          if (problem === undefined && result.status === 'bad') problem = result.why
          if (problem !== undefined) throw rollback(`damaged record near offset ${result.end} of ${file} (${problem})`)
        } catch (error) {
          throw unavailable(error, 'read', file)
        } finally {
          closeQuietly(fd)
        }
        if (!keepGoing) return null
      }
      if (first && segment === undefined) {
        // empty or missing live file: continue with the newest archive, if any
        const archives = listArchives(this.path)
        if (archives.length === 0) return null
        segment = archives[archives.length - 1] + 1
      }
      first = false
      if (segment === undefined || segment === 0) return null
      segment -= 1
      file = archivePath(this.path, segment)
      fd = openRead(file)
      if (fd === null) return file
    }
  }
}
