/**
 * Secret records: set, list, rotate, remove. Values arrive as text from a prompt or stdin and
 * leave only through `run`; everything here returns metadata (env, version, keyed fingerprint).
 */
import type {AuthenticatedVault} from '../cli/context.js'
import {VaultError, usageError} from '../cli/errors.js'
import {randomBytes, toB64, wipe} from './crypto.js'
import type {Provider} from './providers/schema.js'
import {encryptSecret} from './secret-crypto.js'
import {checkSecretValue} from './secret-value.js'
import type {SecretRecord, VaultBody} from './vault-schema.js'

export interface SecretInfo {
  provider: string
  env: string
  label?: string
  version: number
  fingerprint: string
  length: number
  created: string
  rotated?: string
  lastInjected?: string
}

export function secretInfo(record: SecretRecord): SecretInfo {
  return {
    provider: record.provider, env: record.env, ...(record.label ? {label: record.label} : {}), version: record.version,
    fingerprint: record.fp, length: record.length, created: record.created,
    ...(record.rotated ? {rotated: record.rotated} : {}), ...(record.lastInjected ? {lastInjected: record.lastInjected} : {}),
  }
}

export function listSecrets(body: VaultBody): SecretInfo[] {
  return body.secrets.map((record) => secretInfo(record)).sort((a, b) => a.provider.localeCompare(b.provider) || a.env.localeCompare(b.env))
}

/** The one record a command means: by provider, and by env when the provider holds several. */
export function findSecret(body: VaultBody, provider: string, env?: string): SecretRecord {
  const candidates = body.secrets.filter((record) => record.provider === provider && (!env || record.env === env))
  if (candidates.length === 0) {
    throw new VaultError('INVALID_INPUT', `no ${provider} secret${env ? ` stored as ${env}` : ''} in the vault`, {
      suggestions: [`store one: codex-vault secret set ${provider}${env ? ` --env ${env}` : ''}`, 'list what is stored: codex-vault secret list'],
    })
  }
  if (candidates.length > 1) {
    throw usageError(`${provider} has ${candidates.length} secrets (${candidates.map((record) => record.env).join(', ')}); say which with --env`)
  }
  return candidates[0]
}

export function newRecord(vault: AuthenticatedVault, provider: Provider, env: string, value: string, label: string | undefined, now: Date): SecretRecord {
  const bytes = Buffer.from(value, 'utf8')
  try {
    const base = {id: toB64(randomBytes(12)), provider: provider.id, env, version: 1}
    return {...base, ...(label ? {label} : {}), ...encryptSecret(vault.header.vaultId, vault.keys, base, bytes), length: value.length, created: now.toISOString()}
  } finally {
    wipe(bytes)
  }
}

export interface SetSecretOptions {
  provider: string
  env?: string
  label?: string
  value: string
  force: boolean
  now: Date
}

export interface SetSecretResult {
  secret: SecretInfo
  warnings: string[]
}

export async function setSecret(vault: AuthenticatedVault, options: SetSecretOptions): Promise<SetSecretResult> {
  const provider = (await vault.catalog()).require(options.provider)
  const env = options.env ?? provider.env[0]
  const {warnings} = checkSecretValue(provider, env, options.value, {force: options.force})
  const record = await vault.transact((body) => {
    if (body.secrets.some((existing) => existing.provider === provider.id && existing.env === env)) {
      throw new VaultError('INVALID_INPUT', `${provider.id} already has a secret stored as ${env}; nothing was changed`, {
        suggestions: [`replace it with a new version: codex-vault secret rotate ${provider.id}${options.env ? ` --env ${env}` : ''}`],
      })
    }
    const created = newRecord(vault, provider, env, options.value, options.label, options.now)
    body.secrets.push(created)
    return {result: created, events: [{type: 'secret.set', outcome: 'ok', provider: provider.id, data: {env, version: 1, fingerprint: created.fp, ...(options.label ? {label: options.label} : {})}}]}
  })
  return {secret: secretInfo(record), warnings}
}

export interface RotateResult {
  secret: SecretInfo
  previous: {version: number; fingerprint: string}
  warnings: string[]
}

export async function rotateSecret(vault: AuthenticatedVault, options: SetSecretOptions): Promise<RotateResult> {
  const provider = (await vault.catalog()).require(options.provider)
  const current = findSecret(vault.body, provider.id, options.env)
  const {warnings} = checkSecretValue(provider, current.env, options.value, {force: options.force})
  return vault.transact((body) => {
    const index = body.secrets.findIndex((record) => record.id === current.id)
    if (index < 0) throw new VaultError('VAULT_BUSY', 'the secret changed while rotating; run the command again')
    const old = body.secrets[index]
    const bytes = Buffer.from(options.value, 'utf8')
    try {
      const binding = {id: toB64(randomBytes(12)), provider: old.provider, env: old.env, version: old.version + 1}
      const fresh: SecretRecord = {
        ...binding, ...(options.label ?? old.label ? {label: options.label ?? old.label} : {}),
        ...encryptSecret(vault.header.vaultId, vault.keys, binding, bytes), length: options.value.length, created: old.created, rotated: options.now.toISOString(),
      }
      if (fresh.fp === old.fp) throw new VaultError('INVALID_INPUT', 'the new value is the same as the stored one; nothing was changed')
      // the previous version is replaced, not kept: its ciphertext is gone with the next write
      body.secrets[index] = fresh
      return {
        result: {secret: secretInfo(fresh), previous: {version: old.version, fingerprint: old.fp}, warnings},
        events: [{type: 'secret.rotate', outcome: 'ok', provider: old.provider, data: {env: old.env, version: fresh.version, fingerprint: fresh.fp, previousVersion: old.version, previousFingerprint: old.fp}}],
      }
    } finally {
      wipe(bytes)
    }
  })
}

export async function removeSecret(vault: AuthenticatedVault, options: {provider: string; env?: string}): Promise<SecretInfo> {
  const current = findSecret(vault.body, options.provider, options.env)
  return vault.transact((body) => {
    body.secrets = body.secrets.filter((record) => record.id !== current.id)
    return {result: secretInfo(current), events: [{type: 'secret.remove', outcome: 'ok', provider: current.provider, data: {env: current.env, version: current.version, fingerprint: current.fp}}]}
  })
}
