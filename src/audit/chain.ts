/**
 * Chain bookkeeping shared by append, the anchor check and verify: each record must carry the next
 * seq, its own segment number, and the previous record's hash; its hash is then derived from
 * (previous hash, payload bytes) so the payload's `prev` field and the hash input can never disagree.
 */
import {sodium} from '../secrets/sodium.js'

import {HASH_BYTES, ZERO_HASH_HEX, chainHash} from './hash.js'
import {MAX_PAYLOAD, type StoredPayload, parsePayload} from './record.js'

export interface ChainStep {
  payload: StoredPayload
  /** valid only until the step after next (see ChainState) */
  hash: Buffer
}

export class ChainState {
  seq: number
  // Two hash buffers used in turn: verify calls step once per record, so nothing is allocated per
  // record and no hex string is built unless someone asks for it.
  private current = Buffer.alloc(HASH_BYTES)
  private spare = Buffer.alloc(HASH_BYTES)
  private readonly scratch = Buffer.allocUnsafe(HASH_BYTES + MAX_PAYLOAD)

  constructor(seq = 0, prevHex = ZERO_HASH_HEX) {
    this.seq = seq
    if (prevHex !== ZERO_HASH_HEX) this.current.write(prevHex, 'hex')
  }

  /** Hex of the last accepted record's hash (the chain head). */
  get headHex(): string {
    return this.current.toString('hex')
  }

  /** Accept the next record's payload bytes or say why it does not belong here. */
  step(payloadBytes: Buffer, segment: number): ChainStep | string {
    const payload = parsePayload(payloadBytes, false)
    if (typeof payload === 'string') return payload
    if (payload.seq !== this.seq) return `expected seq ${this.seq} but found ${payload.seq}`
    if (payload.segment !== segment) return `record claims segment ${payload.segment} but lies in segment ${segment}`
    // decode prev straight into the hash input and compare bytes: cheaper than hex-encoding every hash
    if (payload.prev.length !== 2 * HASH_BYTES || this.scratch.write(payload.prev, 0, HASH_BYTES, 'hex') !== HASH_BYTES
      || this.scratch.compare(this.current, 0, HASH_BYTES, 0, HASH_BYTES) !== 0) {
      return 'chain link broken (prev does not match the previous record)'
    }
    payloadBytes.copy(this.scratch, HASH_BYTES)
    const hash = this.spare
    sodium.crypto_generichash(hash, this.scratch.subarray(0, HASH_BYTES + payloadBytes.length))
    this.spare = this.current
    this.current = hash
    this.seq += 1
    return {payload, hash}
  }
}

/** Hash of a stored record in isolation (its own prev field supplies the chain input). */
export function recordHash(payload: StoredPayload, payloadBytes: Buffer): Buffer {
  return chainHash(Buffer.from(payload.prev, 'hex'), payloadBytes, Buffer.allocUnsafe(HASH_BYTES))
}
