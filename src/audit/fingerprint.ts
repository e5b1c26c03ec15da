/**
 * Identify which version of a secret was injected without writing anything that helps guess it:
 * the fingerprint is keyed with the audit key, so an attacker who reads the log cannot test
 * candidate values offline (the reason Vault's audit uses a salted HMAC).
 */
import {checkAuditKey, fingerprintBytes} from './hash.js'

/** `fp:` + 32 hex chars; stable for one key and value, unrelated across keys. */
export function secretFingerprint(auditKey: Buffer, value: Buffer): string {
  checkAuditKey(auditKey)
  return `fp:${fingerprintBytes(auditKey, value).toString('hex')}`
}
