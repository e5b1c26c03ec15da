/**
 * The three BLAKE2b uses of the log. Each keyed use is domain-separated by a prefix so a MAC of the
 * audit chain can never be confused with a fingerprint or any other use of the same key.
 */
import {sodium} from '../secrets/sodium.js'

import {VaultError} from '../cli/errors.js'

export const HASH_BYTES = 32
export const MAC_BYTES = 32
export const CHECK_BYTES = 4
export const AUDIT_KEY_BYTES = 32
export const ZERO_HASH = Buffer.alloc(HASH_BYTES)
export const ZERO_HASH_HEX = ZERO_HASH.toString('hex')

const MAC_DOMAIN = Buffer.from('cv1/audit')
const FINGERPRINT_DOMAIN = Buffer.from('cv1/fp')

export function checkAuditKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== AUDIT_KEY_BYTES) {
    throw new VaultError('INTERNAL', `the audit key must be ${AUDIT_KEY_BYTES} bytes`)
  }
}

/**
 * hash_i = BLAKE2b-256(hash_{i-1} || payload_i): unkeyed, so denials can be chained before unlock.
 * One crypto_generichash call over a scratch copy is several times cheaper than the batch API
 * (which makes one native call per part), and verify runs this once per record.
 */
export function chainHash(prev: Buffer, payload: Buffer, out: Buffer = Buffer.allocUnsafe(HASH_BYTES), scratch?: Buffer): Buffer {
  const size = HASH_BYTES + payload.length
  const input = scratch && scratch.length >= size ? scratch.subarray(0, size) : Buffer.allocUnsafe(size)
  prev.copy(input, 0)
  payload.copy(input, HASH_BYTES)
  sodium.crypto_generichash(out, input)
  return out
}

/** mac_i = BLAKE2b-256 keyed(K_audit, "cv1/audit" || hash_i); binds the record to its place in the chain. */
export function sealMac(key: Buffer, hash: Buffer, out: Buffer = Buffer.allocUnsafe(MAC_BYTES), scratch?: Buffer): Buffer {
  const input = scratch ?? Buffer.allocUnsafe(MAC_DOMAIN.length + HASH_BYTES)
  MAC_DOMAIN.copy(input, 0)
  hash.copy(input, MAC_DOMAIN.length)
  sodium.crypto_generichash(out, input.subarray(0, MAC_DOMAIN.length + HASH_BYTES), key)
  return out
}

export const MAC_INPUT_BYTES = MAC_DOMAIN.length + HASH_BYTES

/**
 * sealMac for verify's stream of records: the domain prefix is written once, and each hash is
 * copied with TypedArray#set, cheaper than Buffer#copy. seal() returns the same buffer every time.
 */
export class MacSealer {
  private readonly input = Buffer.alloc(MAC_INPUT_BYTES)
  private readonly out = Buffer.alloc(MAC_BYTES)

  constructor(private readonly key: Buffer) {
    MAC_DOMAIN.copy(this.input, 0)
  }

  seal(hash: Uint8Array): Buffer {
    this.input.set(hash, MAC_DOMAIN.length)
    sodium.crypto_generichash(this.out, this.input, this.key)
    return this.out
  }
}

/**
 * A plain Uint8Array view of buf[start, start + length). On the verify path, making one costs about
 * a third of Buffer#subarray (no Buffer prototype setup), and sodium-native takes any typed array.
 */
export function bytesAt(buf: Uint8Array, start: number, length: number): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset + start, length)
}

/** Constant-time comparison of two equal-length byte arrays. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  // sodium-native checks ArrayBuffer.isView only; its type declarations say Buffer
  return a.length === b.length && sodium.sodium_memcmp(a as Buffer, b as Buffer)
}

export function isZero(bytes: Uint8Array): boolean {
  return sodium.sodium_is_zero(bytes as Buffer, bytes.length)
}

/** keyed BLAKE2b-128(K_audit, "cv1/fp" || value) */
export function fingerprintBytes(key: Buffer, value: Buffer): Buffer {
  const out = Buffer.alloc(16)
  sodium.crypto_generichash_batch(out, [FINGERPRINT_DOMAIN, value], key)
  return out
}
