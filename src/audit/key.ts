/**
 * Derive the audit MAC key from a 32-byte vault key, so that the audit log never needs its own
 * secret and a leaked audit key reveals nothing about the vault key (one-way KDF).
 */
import {sodium} from '../secrets/sodium.js'

import {VaultError} from '../cli/errors.js'
import {AUDIT_KEY_BYTES} from './hash.js'

const CONTEXT = Buffer.from('cvaudit1')
const SUBKEY_ID = 1

/** A fresh 32-byte key in sodium secure memory; the caller frees it (sodium_free or wipe). */
export function deriveAuditKey(vaultKey: Buffer): Buffer {
  if (!Buffer.isBuffer(vaultKey) || vaultKey.length !== sodium.crypto_kdf_KEYBYTES) {
    throw new VaultError('INTERNAL', `the vault key must be ${sodium.crypto_kdf_KEYBYTES} bytes to derive the audit key`)
  }
  const out = sodium.sodium_malloc(AUDIT_KEY_BYTES)
  sodium.crypto_kdf_derive_from_key(out, SUBKEY_ID, CONTEXT, vaultKey)
  return out
}
