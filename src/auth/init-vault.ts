/** `init`: a brand new vault, never over an existing one. */
import {existsSync} from 'node:fs'
import {dirname} from 'node:path'

import {AuditLog} from '../audit/log.js'
import {VaultError} from '../cli/errors.js'
import {writeFileAtomic} from '../secrets/atomic-write.js'
import {buildNewVault, sealVault} from '../secrets/vault-codec.js'
import type {KdfPreset} from '../secrets/vault-header.js'
import {acquireVaultLock} from '../secrets/vault-lock.js'
import {auditPathFor} from './paths.js'
import {ensurePrivateDir} from './private-dir.js'

export interface InitResult {
  vault: string
  vaultId: string
  kdf: KdfPreset
  audit: string
}

const vaultExists = (vaultPath: string) => new VaultError('VAULT_EXISTS', `a vault already exists at ${vaultPath}; nothing was changed`, {
  suggestions: ['use it (`codex-vault status`), or choose another path with --vault'],
})

/** init checks this before it asks for a passphrase: no point asking for one it cannot use. */
export function assertNoVault(vaultPath: string): void {
  if (existsSync(vaultPath)) throw vaultExists(vaultPath)
}

export async function initVault(options: {vaultPath: string; passphrase: Buffer; kdf: KdfPreset; now: Date; lockTimeoutMs: number}): Promise<InitResult> {
  const {vaultPath} = options
  const auditPath = auditPathFor(vaultPath)
  assertNoVault(vaultPath)
  ensurePrivateDir(dirname(vaultPath))
  // Argon2 runs before the lock so a slow KDF never holds other processes up.
  const created = await buildNewVault(options.passphrase, options.kdf, options.now)
  const lock = await acquireVaultLock(vaultPath, options.lockTimeoutMs)
  try {
    assertNoVault(vaultPath)
    if (existsSync(auditPath)) {
      throw new VaultError('INVALID_INPUT', `an audit log from an earlier vault exists at ${auditPath}`, {
        suggestions: [`move ${auditPath}* somewhere safe (it is the history of that vault), then run init again`],
      })
    }
    const anchor = new AuditLog({path: auditPath}).append({type: 'vault.init', outcome: 'ok', data: {kdf: options.kdf}}, created.keys.audit)
    created.body.auditAnchor = anchor
    writeFileAtomic(vaultPath, sealVault(created.header, created.body, created.keys))
    return {vault: vaultPath, vaultId: created.header.vaultId, kdf: options.kdf, audit: auditPath}
  } finally {
    lock.release()
    created.keys.wipe()
  }
}
