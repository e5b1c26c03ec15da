/**
 * Thin, typed wrappers over sodium-native. sodium reports failures inconsistently (throws, returns
 * false, asserts on lengths); every authentication failure here becomes one VaultError so callers
 * cannot forget to check a boolean.
 */
import {sodium} from './sodium.js'

import {VaultError, type ErrorCode} from '../cli/errors.js'

export const KEY_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES
export const NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
export const TAG_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES
export const SALT_BYTES = sodium.crypto_pwhash_SALTBYTES

/** A key in sodium secure memory (guard pages, mlock'd, wiped by sodium_free). */
export function secureKey(bytes = KEY_BYTES): Buffer {
  return sodium.sodium_malloc(bytes)
}

export function randomKey(): Buffer {
  const key = secureKey()
  sodium.randombytes_buf(key)
  return key
}

export function randomBytes(length: number): Buffer {
  const out = Buffer.alloc(length)
  sodium.randombytes_buf(out)
  return out
}

export function wipe(buffer: Buffer | undefined | null): void {
  if (buffer && buffer.length > 0) sodium.sodium_memzero(buffer)
}

export function aeadEncrypt(key: Buffer, nonce: Buffer, plaintext: Buffer, ad: Buffer): Buffer {
  const out = Buffer.alloc(plaintext.length + TAG_BYTES)
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(out, plaintext, ad, null, nonce, key)
  return out
}

/**
 * Decrypt or throw `failure`. The plaintext buffer is secure memory when `secure` is set,
 * so keys unwrapped from slots or sessions never sit in the ordinary heap.
 */
export function aeadDecrypt(
  key: Buffer, nonce: Buffer, ciphertext: Buffer, ad: Buffer,
  failure: {code: ErrorCode; message: string; suggestions?: string[]}, secure = false,
): Buffer {
  if (ciphertext.length < TAG_BYTES || nonce.length !== NONCE_BYTES || key.length !== KEY_BYTES) {
    throw new VaultError(failure.code, failure.message, {suggestions: failure.suggestions})
  }
  const length = ciphertext.length - TAG_BYTES
  const out = secure ? sodium.sodium_malloc(length) : Buffer.alloc(length)
  try {
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(out, null, ciphertext, ad, nonce, key)
  } catch (error) {
    wipe(out)
    throw new VaultError(failure.code, failure.message, {cause: error, suggestions: failure.suggestions})
  }
  return out
}

/** Argon2id on sodium's worker thread, so a long KDF never blocks the event loop (or a lock heartbeat). */
export function argon2id(passphrase: Buffer, salt: Buffer, ops: number, mem: number): Promise<Buffer> {
  const out = secureKey()
  return new Promise((resolve, reject) => {
    sodium.crypto_pwhash_async(out, passphrase, salt, ops, mem, sodium.crypto_pwhash_ALG_ARGON2ID13, (error) => {
      if (error) {
        wipe(out)
        reject(new VaultError('HEADER_INVALID', 'vault: key derivation failed with the parameters in the header', {cause: error}))
      } else resolve(out)
    })
  })
}

/** Purpose-bound subkeys of the data key (crypto_kdf contexts are exactly 8 bytes). */
export const SubkeyId = {body: 1, secret: 2, audit: 3, header: 4} as const
const SUBKEY_CONTEXT: Record<keyof typeof SubkeyId, string> = {body: 'CVBODY01', secret: 'CVSECRT1', audit: 'CVAUDIT1', header: 'CVHDRMC1'}

export function deriveSubkey(dek: Buffer, purpose: keyof typeof SubkeyId): Buffer {
  const out = secureKey()
  sodium.crypto_kdf_derive_from_key(out, SubkeyId[purpose], Buffer.from(SUBKEY_CONTEXT[purpose]), dek)
  return out
}

/** BLAKE2b-256, keyed when a key is given. */
export function blake2b(data: Buffer | Buffer[], key?: Buffer, bytes = 32): Buffer {
  const out = Buffer.alloc(bytes)
  if (Array.isArray(data)) {
    sodium.crypto_generichash_batch(out, data, key)
  } else {
    sodium.crypto_generichash(out, data, key)
  }
  return out
}

/** Constant-time comparison; false on different lengths instead of sodium's assertion. */
export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && sodium.sodium_memcmp(a, b)
}

export function toB64(buffer: Buffer): string {
  return buffer.toString('base64url')
}

/** Strict base64url: refuses padding, whitespace and non-canonical encodings. */
export function fromB64(text: string, expectedLength?: number): Buffer | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null
  const buffer = Buffer.from(text, 'base64url')
  if (buffer.toString('base64url') !== text) return null
  if (expectedLength !== undefined && buffer.length !== expectedLength) return null
  return buffer
}
