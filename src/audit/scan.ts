/**
 * Chunked readers over one segment file. Forward scans read large chunks (verify throughput);
 * backward scans start at EOF and use each record's trailing length (tail, head, append in O(1)).
 * Neither trusts a length before bounding it, so malformed bytes end a scan, never hang it.
 */
import {HEADER_BYTES, MAGIC, MAX_RECORD, TRAILER_BYTES, decodeFrame, sizeFromTrailer} from './record.js'
import {readAt} from './files.js'

const FORWARD_CHUNK = 8 * 1024 * 1024
const BACKWARD_CHUNK = 256 * 1024
const FIRST_BACKWARD_CHUNK = 4096

/** buf[start, start + size) is a whole record with `length` payload bytes at buf[start + 8]; offset is its file offset. */
export type Visit = (buf: Buffer, start: number, length: number, offset: number) => boolean

export interface ScanEnd {
  /** file offset just after the last whole record visited */
  end: number
  status: 'eof' | 'stopped' | 'torn' | 'bad'
  why?: string
}

/** Visit whole records in [from, limit) in file order until visit returns false. */
export function scanForward(fd: number, from: number, limit: number, visit: Visit): ScanEnd {
  const capacity = Math.max(Math.min(FORWARD_CHUNK, limit - from), 1)
  const chunk = Buffer.allocUnsafe(capacity)
  let chunkFileStart = from
  let filled = 0
  let pos = 0
  let eof = false
  for (;;) {
    if (!eof && filled - pos < MAX_RECORD && chunkFileStart + filled < limit) {
      chunk.copy(chunk, 0, pos, filled)
      chunkFileStart += pos
      filled -= pos
      pos = 0
      const want = Math.min(capacity - filled, limit - chunkFileStart - filled)
      const got = readAt(fd, chunk, filled, want, chunkFileStart + filled)
      filled += got
      if (got < want || chunkFileStart + filled >= limit) eof = true
    } else if (chunkFileStart + filled >= limit) {
      eof = true
    }
    const offset = chunkFileStart + pos
    if (pos === filled) return {end: offset, status: 'eof'}
    const frame = decodeFrame(chunk, pos, filled)
    if (frame.kind === 'ok') {
      pos += frame.size
      if (!visit(chunk, pos - frame.size, frame.length, offset)) return {end: chunkFileStart + pos, status: 'stopped'}
      continue
    }
    if (frame.kind === 'bad') return {end: offset, status: 'bad', why: frame.why}
    // short: more bytes may still come unless we are at the end of what we may read
    if (eof) return {end: offset, status: 'torn'}
    if (filled - pos >= capacity) return {end: offset, status: 'bad', why: 'record larger than the read window'}
  }
}

/**
 * A guess at the first record starting in [near, limit), for splitting a verify walk: a whole
 * checksummed frame followed by another one (or by the end of the window). Only a guess, since a
 * payload or MAC may hold bytes that look like a frame: the caller must confirm it by walking up
 * to it. -1 if none is found within two maximal records.
 */
export function guessRecordStart(fd: number, near: number, limit: number): number {
  const window = Buffer.allocUnsafe(Math.max(0, Math.min(limit, near + 2 * MAX_RECORD) - near))
  const got = readAt(fd, window, 0, window.length, near)
  for (let p = window.indexOf(MAGIC); p >= 0 && p < got; p = window.indexOf(MAGIC, p + 1)) {
    const frame = decodeFrame(window, p, got)
    if (frame.kind === 'ok' && decodeFrame(window, p + frame.size, got).kind !== 'bad') return near + p
  }
  return -1
}

/** Visit whole records ending at or before `end`, newest first, until visit returns false. */
export function scanBackward(fd: number, end: number, visit: Visit): ScanEnd {
  // start small (append and head need one record) and grow for long walks such as filtered tails
  let chunk = FIRST_BACKWARD_CHUNK
  let buf = Buffer.allocUnsafe(Math.min(chunk, Math.max(end, 1)))
  let bufStart = end
  let pos = end
  const load = (need: number): boolean => {
    const start = Math.max(0, pos - Math.max(chunk, need))
    chunk = Math.min(chunk * 4, BACKWARD_CHUNK)
    if (pos - start > buf.length) buf = Buffer.allocUnsafe(pos - start)
    if (readAt(fd, buf, 0, pos - start, start) !== pos - start) return false
    bufStart = start
    return true
  }
  while (pos > 0) {
    if (pos - bufStart < TRAILER_BYTES && !load(TRAILER_BYTES)) return {end: pos, status: 'bad', why: 'file shrank while reading'}
    const size = sizeFromTrailer(buf, pos - bufStart)
    if (size < 0 || size > pos) return {end: pos, status: 'bad', why: 'bad record trailer'}
    if (pos - size < bufStart && !load(size)) return {end: pos, status: 'bad', why: 'file shrank while reading'}
    const start = pos - size - bufStart
    const frame = decodeFrame(buf, start, pos - bufStart)
    if (frame.kind !== 'ok' || frame.size !== size) {
      return {end: pos, status: 'bad', why: frame.kind === 'bad' ? frame.why : 'bad record trailer'}
    }
    pos -= size
    if (!visit(buf, start, frame.length, pos)) return {end: pos, status: 'stopped'}
  }
  return {end: 0, status: 'eof'}
}

function wholeRecordEndsAt(fd: number, end: number): boolean {
  if (end === 0) return true
  const trailer = Buffer.alloc(TRAILER_BYTES)
  if (end < TRAILER_BYTES || readAt(fd, trailer, 0, TRAILER_BYTES, end - TRAILER_BYTES) !== TRAILER_BYTES) return false
  const size = sizeFromTrailer(trailer, TRAILER_BYTES)
  if (size < 0 || size > end) return false
  const record = Buffer.alloc(size)
  if (readAt(fd, record, 0, size, end - size) !== size) return false
  const frame = decodeFrame(record, 0, size)
  return frame.kind === 'ok' && frame.size === size
}

export interface TailState {
  /** offset just after the last whole record */
  end: number
  /** bytes after `end` are a strict prefix of a record (an interrupted write) */
  torn: boolean
  /** the tail is neither whole nor a torn prefix: the file was damaged */
  bad?: string
}

/**
 * Where the last whole record ends. A torn tail is a strict prefix of one record that starts right
 * after a whole record (or at 0); records are at most MAX_RECORD bytes, so only that window is searched.
 */
export function findTail(fd: number, size: number): TailState {
  if (size === 0) return {end: 0, torn: false}
  if (wholeRecordEndsAt(fd, size)) return {end: size, torn: false}
  const windowStart = Math.max(0, size - MAX_RECORD)
  const window = Buffer.alloc(size - windowStart)
  if (readAt(fd, window, 0, window.length, windowStart) !== window.length) return {end: size, torn: false, bad: 'file shrank while reading'}
  for (let p = window.length - 1; p >= 0; p--) {
    if (window[p] !== MAGIC[0]) continue
    if (decodeFrame(window, p, window.length).kind !== 'short') continue
    const offset = windowStart + p
    if (wholeRecordEndsAt(fd, offset)) return {end: offset, torn: true}
  }
  return {end: size, torn: false, bad: size < HEADER_BYTES ? 'file too short' : 'the last record is damaged'}
}
