/** `passwd` (rewrap the data key under a new passphrase) and `rekey` (new data key, everything re-encrypted). */
import type {AuthenticatedVault} from '../cli/context.js'
import {randomKey, wipe} from '../secrets/crypto.js'
import {decryptSecret, encryptSecret} from '../secrets/secret-crypto.js'
import {makePassphraseSlot, wrapAuditKey} from '../secrets/vault-codec.js'
import {KDF_PRESETS, type KdfPreset, type VaultHeader, passphraseSlotOf, readKdfPreset} from '../secrets/vault-header.js'
import {VaultError} from '../cli/errors.js'
import {vaultKeysFrom} from '../secrets/vault-keys.js'
import {removeAllSessionFiles} from './session.js'

/** Boot already refuses passwd and rekey in a ci export vault; this keeps the types honest. */
function passphraseKdf(header: VaultHeader): {ops: number; mem: number} {
  const slot = passphraseSlotOf(header)
  if (slot === undefined) throw new VaultError('POLICY_DENY', 'a ci export vault has no passphrase')
  return slot.kdf
}

export interface PasswdResult {
  kdf: KdfPreset | 'custom'
  generation: number
}

export async function changePassphrase(vault: AuthenticatedVault, options: {newPassphrase: Buffer; kdf?: KdfPreset}): Promise<PasswdResult> {
  const current = passphraseKdf(vault.header)
  const preset = options.kdf ? KDF_PRESETS[options.kdf] : {ops: current.ops, mem: current.mem}
  const slot = await makePassphraseSlot(vault.header.vaultId, vault.keys.dek, options.newPassphrase, preset)
  await vault.transact(() => ({
    result: undefined,
    header: {...vault.header, slots: [slot]},
    events: [{type: 'vault.passwd', outcome: 'ok', data: {kdf: options.kdf ?? readKdfPreset(current)}}],
  }))
  return {kdf: options.kdf ?? readKdfPreset(current), generation: vault.header.generation}
}

export interface RekeyResult {
  secrets: number
  sessionsEnded: number
  generation: number
}

/**
 * Needs the passphrase (not just a session): the new data key must be wrapped in a passphrase
 * slot, so the caller opens the vault with that same passphrase, which proves it.
 */
export async function rekeyVault(vault: AuthenticatedVault, options: {passphrase: Buffer; env: NodeJS.ProcessEnv}): Promise<RekeyResult> {
  const kdf = passphraseKdf(vault.header)
  const newKeys = vaultKeysFrom(randomKey())
  vault.keys.audit.copy(newKeys.audit)
  const slot = await makePassphraseSlot(vault.header.vaultId, newKeys.dek, options.passphrase, {ops: kdf.ops, mem: kdf.mem})
  let sessionsEnded = 0
  try {
    const secrets = await vault.transact((body) => {
      for (const record of body.secrets) {
        const value = decryptSecret(vault.header.vaultId, vault.keys, record)
        try {
          Object.assign(record, encryptSecret(vault.header.vaultId, newKeys, record, value))
        } finally {
          wipe(value)
        }
      }
      sessionsEnded = body.sessions.filter((session) => !session.revoked).length
      for (const session of body.sessions) session.revoked = true
      body.auditKey = wrapAuditKey(vault.header.vaultId, newKeys)
      return {
        result: body.secrets.length,
        header: {...vault.header, slots: [slot]},
        keys: newKeys,
        events: [{type: 'vault.rekey', outcome: 'ok', data: {secrets: body.secrets.length, sessionsEnded}}],
      }
    })
    removeAllSessionFiles(options.env, vault.header.vaultId)
    return {secrets, sessionsEnded, generation: vault.header.generation}
  } catch (error) {
    if (vault.keys !== newKeys) newKeys.wipe()
    throw error
  }
}
