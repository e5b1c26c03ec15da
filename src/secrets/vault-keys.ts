/**
 * The data key (DEK) and the purpose-bound subkeys derived from it, all in sodium secure memory.
 * The audit key is not derived from the DEK: it is a random key kept (encrypted) in the body, so
 * that `rekey` changes the DEK without invalidating the MACs and fingerprints already in the log.
 */
import {deriveSubkey, secureKey, wipe} from './crypto.js'

export interface VaultKeys {
  readonly dek: Buffer
  readonly body: Buffer
  readonly secret: Buffer
  /** wraps the audit key inside the body */
  readonly auditWrap: Buffer
  readonly header: Buffer
  /** MAC key of the audit log and fingerprint key; filled in when the body is opened */
  readonly audit: Buffer
  wipe(): void
}

export function vaultKeysFrom(dek: Buffer): VaultKeys {
  const keys = {
    dek,
    body: deriveSubkey(dek, 'body'),
    secret: deriveSubkey(dek, 'secret'),
    auditWrap: deriveSubkey(dek, 'audit'),
    header: deriveSubkey(dek, 'header'),
    audit: secureKey(),
    wipe() {
      for (const key of [keys.dek, keys.body, keys.secret, keys.auditWrap, keys.header, keys.audit]) wipe(key)
    },
  }
  return keys
}
