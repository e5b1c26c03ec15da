/**
 * `ci export`: a separate vault that holds only what one asset may use right now (its asset
 * record, the secrets behind its active grants, those grants capped at the export's TTL, and the
 * user-defined providers they need), unlocked by a random key shown once. CI gets that file and
 * CODEX_VAULT_KEY, never the owner's passphrase or the other assets' keys.
 *
 * Inside an exported vault the policy is frozen: commands that would add secrets, grants or
 * assets, lift a kill, or export again are refused, and the whole vault denies after it expires.
 */
import {existsSync, mkdirSync} from 'node:fs'
import {dirname, resolve} from 'node:path'

import {AuditLog} from '../audit/log.js'
import {VaultError, usageError} from '../cli/errors.js'
import type {AuthenticatedVault} from '../cli/context.js'
import {requireAsset} from '../registry/assets.js'
import {type RunDecision, authorizeRun} from '../runtime/authorize.js'
import {writeFileAtomic} from '../secrets/atomic-write.js'
import {randomKey, toB64, wipe} from '../secrets/crypto.js'
import {decryptSecret, encryptSecret} from '../secrets/secret-crypto.js'
import {type NewVault, buildKeyVault, sealVault} from '../secrets/vault-codec.js'
import {acquireVaultLock} from '../secrets/vault-lock.js'
import type {GrantRecord, SecretRecord, VaultBody} from '../secrets/vault-schema.js'
import {CI_KEY_PREFIX, type CiExportMarker} from './ci-vault.js'
import {auditPathFor} from './paths.js'

export const DEFAULT_CI_TTL_MS = 7 * 24 * 3600 * 1000
export const MAX_CI_TTL_MS = 90 * 24 * 3600 * 1000

export interface CiExportOptions {
  asset: string
  out: string
  ttlMs: number
  now: Date
  lockTimeoutMs: number
}

export interface CiExportResult {
  file: string
  audit: string
  vaultId: string
  asset: string
  expires: string
  capabilities: {capability: string; provider: string; grant: string; expires: string; usesLeft: number | null; env: string[]}[]
  /** shown once: the only way into the exported vault */
  key: string
}

function checkOut(out: string, vaultPath: string): {file: string; audit: string} {
  const file = resolve(out)
  if (file === resolve(vaultPath)) throw usageError('--out is the vault itself; choose a new file for the export')
  const audit = auditPathFor(file)
  refuseExisting(file, audit)
  return {file, audit}
}

function refuseExisting(file: string, audit: string): void {
  for (const path of [file, audit]) {
    if (existsSync(path)) {
      throw new VaultError('VAULT_EXISTS', `${path} already exists; nothing was changed`, {
        suggestions: ['choose a new --out file, or move the old export away first'],
      })
    }
  }
}

function denied(decision: RunDecision): VaultError {
  return new VaultError('POLICY_DENY', `ci export denied for asset ${decision.asset}: ${decision.denials.map((d) => d.reason).join('; ')}`, {
    suggestions: [...new Set(decision.denials.map((d) => d.fix))],
    details: {denials: decision.denials},
  })
}

/** The exported body: copies of what the decision allows, secrets re-encrypted under the new keys. */
function fillBody(owner: AuthenticatedVault, source: VaultBody, target: {body: VaultBody; vaultId: string; keys: Parameters<typeof encryptSecret>[1]},
  decision: RunDecision, marker: CiExportMarker, userProviders: ReadonlySet<string>): void {
  const {body} = target
  const asset = requireAsset(source, decision.asset)
  body.assets = [structuredClone(asset)] // enabled: a disabled asset is denied before this point
  const secretIds = new Set(decision.allowed.flatMap((item) => item.inject.map((inject) => inject.secretId)))
  body.secrets = source.secrets.filter((record) => secretIds.has(record.id)).map((record): SecretRecord => {
    const value = decryptSecret(owner.header.vaultId, owner.keys, record)
    try {
      // the owner's fingerprint stays: CI's run records then name the same key as the export record
      const {nonce, ct} = encryptSecret(target.vaultId, target.keys, record, value)
      const copy: SecretRecord = {...record, nonce, ct}
      delete copy.lastInjected
      return copy
    } finally {
      wipe(value)
    }
  })
  const grantIds = new Set(decision.allowed.map((item) => item.grant.id))
  body.grants = source.grants.filter((grant) => grantIds.has(grant.id)).map((grant): GrantRecord => ({
    ...grant, expires: grant.expires < marker.expires ? grant.expires : marker.expires,
  }))
  const providers = new Set(decision.allowed.map((item) => item.provider))
  body.providers = source.providers.filter((provider) => providers.has(provider.id) && userProviders.has(provider.id)).map((provider) => structuredClone(provider))
  body.ciExport = marker
}

/**
 * Decide under the owner's lock and record the export in the owner's audit log (before the file
 * exists), then write the new vault and its own audit log. All of the asset's bound capabilities
 * must be allowed now: a partial export would fail later in CI, far from the person who can fix it.
 */
export async function exportForCi(owner: AuthenticatedVault, options: CiExportOptions): Promise<CiExportResult> {
  if (owner.body.ciExport !== undefined) throw new VaultError('POLICY_DENY', 'a ci export vault cannot be exported again')
  const {file, audit} = checkOut(options.out, owner.path)
  if (!Number.isSafeInteger(options.ttlMs) || options.ttlMs <= 0 || options.ttlMs > MAX_CI_TTL_MS) {
    throw usageError('--ttl must be between 1s and 90d for a ci export', ['pick the lifetime of the CI credential, e.g. --ttl 30d'])
  }
  const folder = dirname(file)
  if (!existsSync(folder) && !existsSync(dirname(folder))) {
    throw usageError(`--out ${options.out}: the folder ${dirname(folder)} does not exist; nothing was exported`, [
      `check the path, or create the folder first: mkdir -p ${folder}`,
    ])
  }
  try {
    // the folder first, before any decision: a bad --out fails here, with nothing recorded or moved.
    // New folders are 0700; an existing one (a repo's .ci/) is left as it is (the file is 0600 and sealed).
    // One missing folder is made (`--out .ci/shop.cv`); a deeper missing path is more likely a typo
    // than a wish to scatter a credential-bearing file across new folders.
    mkdirSync(folder, {recursive: true, mode: 0o700})
  } catch (error) {
    throw writeFailure(error, file)
  }
  const catalog = await owner.catalog()
  const key = randomKey()
  const marker: CiExportMarker = {asset: options.asset, from: owner.header.vaultId, created: options.now.toISOString(),
    expires: new Date(options.now.getTime() + options.ttlMs).toISOString()}
  // a key slot: the key has 256 bits, so there is nothing for a KDF to stretch
  const created = await buildKeyVault(key, options.now)
  try {
    const decision = await owner.transact((body) => {
      requireAsset(body, options.asset)
      const fresh = authorizeRun(body, catalog, {asset: options.asset, now: options.now})
      if (fresh.allowed.length === 0 && fresh.denials.length === 0) {
        throw new VaultError('POLICY_DENY', `asset ${options.asset} has no bound capabilities to export`, {
          suggestions: [`bind it first: codex-vault bind PATH --name ${options.asset}`],
        })
      }
      if (fresh.denials.length > 0) {
        return {result: fresh, events: [{type: 'ci.export', outcome: 'deny', asset: options.asset, reason: fresh.denials.map((d) => d.reason).join('; '),
          data: {capabilities: fresh.requested, out: file}}]}
      }
      fillBody(owner, body, {body: created.body, vaultId: created.header.vaultId, keys: created.keys}, fresh, marker, catalog.userDefined)
      // a use-limited grant hands its remaining uses to the export: copying them would double them
      const usesMoved = created.body.grants.filter((grant) => grant.usesLeft !== null).map((grant) => {
        body.grants.find((own) => own.id === grant.id)!.usesLeft = 0
        return `${grant.id}:${grant.usesLeft}`
      })
      return {result: fresh, events: [{type: 'ci.export', outcome: 'allow', asset: options.asset, data: {
        capabilities: fresh.allowed.map((item) => item.capability),
        grants: fresh.allowed.map((item) => item.grant.id),
        usesMoved,
        secrets: fresh.allowed.flatMap((item) => item.inject.map((inject) => `${inject.env}:${inject.fingerprint}`)),
        out: file, exportVaultId: created.header.vaultId, expires: marker.expires,
      }}]}
    })
    if (decision.denials.length > 0) throw denied(decision)
    try {
      await writeExport(file, audit, created, marker, options.lockTimeoutMs)
    } catch (error) {
      // the allow record is already in the owner's log: say that the file never came to be
      await owner.recordDenial({type: 'ci.export', outcome: 'error', asset: options.asset, reason: (error as Error).message, data: {out: file}}).catch(() => {})
      throw writeFailure(error, file)
    }
    return {
      file, audit, vaultId: created.header.vaultId, asset: options.asset, expires: marker.expires, key: `${CI_KEY_PREFIX}${toB64(key)}`,
      capabilities: decision.allowed.map((item) => {
        const grant = created.body.grants.find((g) => g.id === item.grant.id)!
        return {capability: item.capability, provider: item.provider, grant: grant.id, expires: grant.expires, usesLeft: grant.usesLeft, env: item.inject.map((i) => i.env)}
      }),
    }
  } finally {
    created.keys.wipe()
    wipe(key)
  }
}

/** An fs error while writing the export becomes exit 3 naming the file, not an internal error. */
function writeFailure(error: unknown, file: string): unknown {
  const code = (error as NodeJS.ErrnoException).code
  if (error instanceof VaultError || typeof code !== 'string') return error
  return new VaultError('VAULT_WRITE_FAILED', `could not write the export ${file} (${code})`, {
    cause: error, suggestions: ['choose an --out in a folder you can write to, with free space, and export again'],
  })
}

/** Like init: the new vault's own audit log starts with its creation, anchored in the vault. */
async function writeExport(file: string, audit: string, created: NewVault, marker: CiExportMarker, lockTimeoutMs: number): Promise<void> {
  const lock = await acquireVaultLock(file, lockTimeoutMs)
  try {
    refuseExisting(file, audit) // again under the lock: a second export to the same file may have won
    const anchor = new AuditLog({path: audit}).append({type: 'vault.init', outcome: 'ok', asset: marker.asset,
      data: {kdf: 'none', ciExportOf: marker.asset, from: marker.from, expires: marker.expires}}, created.keys.audit)
    created.body.auditAnchor = anchor
    writeFileAtomic(file, sealVault(created.header, created.body, created.keys))
  } finally {
    lock.release()
  }
}
