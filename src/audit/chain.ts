/**
 * Chain bookkeeping shared by append, the anchor check and verify: each record must carry the next
 * seq, its own segment number, and the previous record's hash; its hash is then derived from
 * (previous hash, payload bytes) so the payload's `prev` field and the hash input can never disagree.
 */
import {sodium} from '../secrets/sodium.js'

import type {AuditOutcome} from './events.js'
import {HASH_BYTES, ZERO_HASH_HEX, bytesAt, chainHash} from './hash.js'
import {type PayloadHead, scanPayload} from './payload-scan.js'
import {MAX_PAYLOAD, type StoredPayload, parsePayload} from './record.js'

export interface ChainStep {
  seq: number
  sealed: boolean
  outcome: AuditOutcome
  /** the record's type is 'audit.repair' */
  repair: boolean
  /** valid only until the step after next (see ChainState) */
  hash: Buffer
}

export class ChainState {
  seq: number
  /** set when a step failed because its record lies further on in the chain (records are missing before it) */
  skippedTo: {seq: number; segment: number} | null = null
  // Two hash buffers used in turn, and one step object reused: verify calls step once per record,
  // so nothing is allocated per record and no hex string is built unless someone asks for it.
  private current = Buffer.alloc(HASH_BYTES)
  private spare = Buffer.alloc(HASH_BYTES)
  private readonly scratch = Buffer.allocUnsafe(HASH_BYTES + MAX_PAYLOAD)
  private readonly head: PayloadHead = {seq: 0, segment: 0, sealed: false, outcome: 'deny', repair: false, linked: false}
  private readonly result: ChainStep = {seq: 0, sealed: false, outcome: 'deny', repair: false, hash: this.current}

  constructor(seq = 0, prevHex = ZERO_HASH_HEX) {
    this.seq = seq
    if (prevHex !== ZERO_HASH_HEX) this.current.write(prevHex, 'hex')
  }

  /** Hex of the last accepted record's hash (the chain head). */
  get headHex(): string {
    return this.current.toString('hex')
  }

  /**
   * Accept the next record's payload, buf[start, start + length), or say why it does not belong
   * here. The returned step is reused by the next call.
   */
  step(buf: Buffer, start: number, length: number, segment: number): ChainStep | string {
    const head = this.head
    let linked: boolean
    if (scanPayload(buf, start, start + length, this.current, head)) {
      linked = head.linked
    } else {
      const payload = parsePayload(buf.subarray(start, start + length), false)
      if (typeof payload === 'string') return payload
      head.seq = payload.seq
      head.segment = payload.segment
      head.sealed = payload.sealed
      head.outcome = payload.outcome
      head.repair = payload.type === 'audit.repair'
      // decode prev into the spare buffer (overwritten by the hash below) and compare bytes
      linked = payload.prev.length === 2 * HASH_BYTES && this.spare.write(payload.prev, 0, HASH_BYTES, 'hex') === HASH_BYTES
        && this.spare.equals(this.current)
    }
    if (head.seq !== this.seq) {
      if (head.seq > this.seq) this.skippedTo = {seq: head.seq, segment: head.segment}
      return `expected seq ${this.seq} but found ${head.seq}`
    }
    if (head.segment !== segment) return `record claims segment ${head.segment} but lies in segment ${segment}`
    if (!linked) return 'chain link broken (prev does not match the previous record)'
    // one crypto_generichash call over a contiguous copy (see chainHash); TypedArray#set of a view
    // copies in about a third of the time of Buffer#copy
    const scratch = this.scratch
    scratch.set(this.current, 0)
    scratch.set(bytesAt(buf, start, length), HASH_BYTES)
    const hash = this.spare
    sodium.crypto_generichash(hash, bytesAt(scratch, 0, HASH_BYTES + length) as Buffer)
    this.spare = this.current
    this.current = hash
    this.seq += 1
    const result = this.result
    result.seq = head.seq
    result.sealed = head.sealed
    result.outcome = head.outcome
    result.repair = head.repair
    result.hash = hash
    return result
  }
}

/**
 * Whether a record may be unsealed. Without the key anyone can append a record with a correct chain
 * hash and a zero MAC, and a later sealed record would chain over it, so an unsealed record is only
 * believable when it grants nothing: a denial written before a key was available
 * (recordUnsealedDenial), or the 'audit.repair' note such a keyless append writes when it first
 * removes a torn tail. Anything else unsealed was forged, or had its seal stripped.
 */
export function mayBeUnsealed(step: Pick<ChainStep, 'outcome' | 'repair'>): boolean {
  return step.outcome === 'deny' || (step.repair && step.outcome === 'ok')
}

/** Hash of a stored record in isolation (its own prev field supplies the chain input). */
export function recordHash(payload: StoredPayload, payloadBytes: Buffer): Buffer {
  return chainHash(Buffer.from(payload.prev, 'hex'), payloadBytes, Buffer.allocUnsafe(HASH_BYTES))
}
