/**
 * On-disk record framing:
 *   "CVA1" | LE32 len | payload (len bytes, canonical JSON) | 32-byte mac | LE32 len | LE32 check
 * The trailing length lets readers walk backwards from EOF in O(1); the check (CRC-32 of everything
 * before it, see checksum.ts) tells a torn or garbled record from a complete one. Payload parsing is defensive: every
 * field is type-checked, and lengths are bounded before anything is allocated.
 */
import {VaultError} from '../cli/errors.js'
import {type AuditEvent, type AuditRecord, OUTCOMES} from './events.js'
import {crc32} from './checksum.js'
import {CHECK_BYTES, HASH_BYTES, MAC_BYTES, chainHash, sealMac} from './hash.js'

export const MAGIC = Buffer.from('CVA1')
export const HEADER_BYTES = 8
export const TRAILER_BYTES = 4 + CHECK_BYTES
export const OVERHEAD = HEADER_BYTES + MAC_BYTES + TRAILER_BYTES
export const MAX_PAYLOAD = 64 * 1024
export const MAX_RECORD = MAX_PAYLOAD + OVERHEAD

/** The record fields stored in the payload (everything but the hash, which is derived). */
export type StoredPayload = Omit<AuditRecord, 'hash'>

/** JSON with sorted keys and no whitespace, so the hashed bytes are a function of the content alone. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`
}

export interface EncodedRecord {
  bytes: Buffer
  hash: Buffer
}

/** Build one framed record; `key` null writes an unsealed (chain-only) record with a zero MAC. */
export function encodeRecord(payload: StoredPayload, prev: Buffer, key: Buffer | null): EncodedRecord {
  const body = Buffer.from(canonicalJson(payload), 'utf8')
  if (body.length > MAX_PAYLOAD) {
    throw new VaultError('INTERNAL', `audit event too large (${body.length} bytes, limit ${MAX_PAYLOAD})`)
  }
  const length = body.length
  const bytes = Buffer.alloc(length + OVERHEAD)
  MAGIC.copy(bytes, 0)
  bytes.writeUInt32LE(length, 4)
  body.copy(bytes, HEADER_BYTES)
  const hash = chainHash(prev, body, Buffer.alloc(HASH_BYTES))
  if (key) sealMac(key, hash, bytes.subarray(HEADER_BYTES + length, HEADER_BYTES + length + MAC_BYTES))
  const trailer = HEADER_BYTES + length + MAC_BYTES
  bytes.writeUInt32LE(length, trailer)
  bytes.writeUInt32LE(crc32(bytes, 0, trailer + 4), trailer + 4)
  return {bytes, hash}
}

export type Frame =
  | {kind: 'ok'; length: number; size: number}
  | {kind: 'short'}
  | {kind: 'bad'; why: string}

const SHORT: Frame = {kind: 'short'}

/**
 * Decode the frame starting at `start` in buf[start, end). 'short' means the bytes present are a
 * valid prefix of a record (a torn tail when at EOF); 'bad' means they cannot be one.
 */
export function decodeFrame(buf: Buffer, start: number, end: number): Frame {
  const available = end - start
  const magicBytes = Math.min(available, MAGIC.length)
  for (let i = 0; i < magicBytes; i++) {
    if (buf[start + i] !== MAGIC[i]) return {kind: 'bad', why: 'bad record magic'}
  }
  if (available < HEADER_BYTES) return SHORT
  const length = buf.readUInt32LE(start + 4)
  if (length === 0 || length > MAX_PAYLOAD) return {kind: 'bad', why: 'bad record length'}
  const size = length + OVERHEAD
  if (available < size) return SHORT
  const trailer = start + HEADER_BYTES + length + MAC_BYTES
  if (buf.readUInt32LE(trailer) !== length) return {kind: 'bad', why: 'record lengths disagree'}
  if (crc32(buf, start, trailer + 4) !== buf.readUInt32LE(trailer + 4)) return {kind: 'bad', why: 'record check failed'}
  return {kind: 'ok', length, size}
}

/** Length of the record that ends at buf[end] according to its trailer, or -1 if implausible. */
export function sizeFromTrailer(buf: Buffer, end: number, bufStart = 0): number {
  if (end - bufStart < TRAILER_BYTES) return -1
  const length = buf.readUInt32LE(end - TRAILER_BYTES)
  if (length === 0 || length > MAX_PAYLOAD) return -1
  return length + OVERHEAD
}

const HEX64 = /^[0-9a-f]{64}$/
const OPTIONAL_TEXT = ['reason', 'asset', 'provider', 'capability'] as const

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function validData(data: unknown): boolean {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return false
  for (const value of Object.values(data)) {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') continue
    if (typeof value === 'number' && Number.isFinite(value)) continue
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) continue
    return false
  }
  return true
}

/**
 * Parse and type-check a stored payload; returns a reason string when it is not a valid record.
 * checkPrev=false is for ChainState, which compares prev byte-for-byte with the known hash anyway.
 */
export function parsePayload(bytes: Buffer, checkPrev = true): StoredPayload | string {
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch {
    return 'payload is not JSON'
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'payload is not an object'
  const p = value as Record<string, unknown>
  if (!isCount(p.seq)) return 'payload seq invalid'
  if (!isCount(p.segment)) return 'payload segment invalid'
  if (typeof p.ts !== 'string' || typeof p.type !== 'string') return 'payload ts/type invalid'
  if (typeof p.prev !== 'string' || (checkPrev && !HEX64.test(p.prev))) return 'payload prev invalid'
  if (typeof p.sealed !== 'boolean' || !Number.isSafeInteger(p.pid)) return 'payload sealed/pid invalid'
  if (!OUTCOMES.includes(p.outcome as AuditEvent['outcome'])) return 'payload outcome invalid'
  for (const name of OPTIONAL_TEXT) {
    if (p[name] !== undefined && typeof p[name] !== 'string') return `payload ${name} invalid`
  }
  if (p.data !== undefined && !validData(p.data)) return 'payload data invalid'
  return p as unknown as StoredPayload
}

/** The stored payload for an event at a given place in the chain. */
export function payloadFor(
  event: AuditEvent,
  place: {seq: number; prev: string; segment: number; ts: string; pid: number; sealed: boolean},
): StoredPayload {
  return {
    type: event.type, outcome: event.outcome, reason: event.reason, asset: event.asset,
    provider: event.provider, capability: event.capability, data: event.data,
    seq: place.seq, ts: place.ts, prev: place.prev, segment: place.segment, pid: place.pid, sealed: place.sealed,
  }
}

/** The public record: payload fields in a stable order plus the derived hash (undefined fields dropped). */
export function toRecord(payload: StoredPayload, hash: string): AuditRecord {
  const record: AuditRecord = {
    seq: payload.seq, ts: payload.ts, type: payload.type, outcome: payload.outcome,
    segment: payload.segment, pid: payload.pid, sealed: payload.sealed, prev: payload.prev, hash,
  }
  for (const name of OPTIONAL_TEXT) if (payload[name] !== undefined) record[name] = payload[name]
  if (payload.data !== undefined) record.data = payload.data
  return record
}
