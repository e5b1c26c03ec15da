/**
 * Per-secret encryption inside the (already encrypted) body. The associated data binds each
 * ciphertext to its vault, record id, provider, env name and version, so a ciphertext copied into
 * another record fails to decrypt (exit 5) instead of injecting the wrong key.
 */
import {VaultError} from '../cli/errors.js'
import {secretFingerprint} from '../audit/fingerprint.js'
import {NONCE_BYTES, aeadDecrypt, aeadEncrypt, fromB64, randomBytes, toB64} from './crypto.js'
import type {VaultKeys} from './vault-keys.js'
import type {SecretRecord} from './vault-schema.js'

type Binding = Pick<SecretRecord, 'id' | 'provider' | 'env' | 'version'>

const secretAd = (vaultId: string, record: Binding) =>
  Buffer.from(`cv1/secret|${vaultId}|${record.id}|${record.provider}|${record.env}|${record.version}`)

export function encryptSecret(vaultId: string, keys: VaultKeys, binding: Binding, value: Buffer): {nonce: string; ct: string; fp: string} {
  const nonce = randomBytes(NONCE_BYTES)
  return {nonce: toB64(nonce), ct: toB64(aeadEncrypt(keys.secret, nonce, value, secretAd(vaultId, binding))), fp: secretFingerprint(keys.audit, value)}
}

/** Only `run` (and rekey) call this. The caller wipes the returned secure buffer. */
export function decryptSecret(vaultId: string, keys: VaultKeys, record: SecretRecord): Buffer {
  const failure = {code: 'INTEGRITY' as const, message: `vault integrity check failed: the ${record.provider} secret (${record.env}) does not belong to its record`,
    suggestions: ['the vault was tampered with; restore it from a backup and rotate this key']}
  const nonce = fromB64(record.nonce, NONCE_BYTES)
  const ct = fromB64(record.ct)
  if (!nonce || !ct) throw new VaultError(failure.code, failure.message, {suggestions: failure.suggestions})
  return aeadDecrypt(keys.secret, nonce, ct, secretAd(vaultId, record), failure, true)
}
