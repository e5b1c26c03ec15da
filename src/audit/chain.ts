/**
 * Chain bookkeeping shared by append, the anchor check and verify: each record must carry the next
 * seq, its own segment number, and the previous record's hash; its hash is then derived from
 * (previous hash, payload bytes) so the payload's `prev` field and the hash input can never disagree.
 */
import {HASH_BYTES, ZERO_HASH, ZERO_HASH_HEX, chainHash} from './hash.js'
import {type StoredPayload, parsePayload} from './record.js'

export interface ChainStep {
  payload: StoredPayload
  hash: Buffer
  hashHex: string
}

export class ChainState {
  seq: number
  prev: Buffer
  prevHex: string

  constructor(seq = 0, prevHex = ZERO_HASH_HEX) {
    this.seq = seq
    this.prevHex = prevHex
    this.prev = prevHex === ZERO_HASH_HEX ? ZERO_HASH : Buffer.from(prevHex, 'hex')
  }

  /** Accept the next record's payload bytes or say why it does not belong here. */
  step(payloadBytes: Buffer, segment: number): ChainStep | string {
    const payload = parsePayload(payloadBytes)
    if (typeof payload === 'string') return payload
    if (payload.seq !== this.seq) return `expected seq ${this.seq} but found ${payload.seq}`
    if (payload.segment !== segment) return `record claims segment ${payload.segment} but lies in segment ${segment}`
    if (payload.prev !== this.prevHex) return 'chain link broken (prev does not match the previous record)'
    const hash = chainHash(this.prev, payloadBytes, Buffer.allocUnsafe(HASH_BYTES))
    const hashHex = hash.toString('hex')
    this.seq += 1
    this.prev = hash
    this.prevHex = hashHex
    return {payload, hash, hashHex}
  }
}

/** Hash of a stored record in isolation (its own prev field supplies the chain input). */
export function recordHash(payload: StoredPayload, payloadBytes: Buffer): Buffer {
  return chainHash(Buffer.from(payload.prev, 'hex'), payloadBytes, Buffer.allocUnsafe(HASH_BYTES))
}
