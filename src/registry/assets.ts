/** The registry of assets: applications registered in the vault, with their owner and state. */
import type {AuthenticatedVault} from '../cli/context.js'
import {VaultError, usageError} from '../cli/errors.js'
import {capabilityMatches} from '../permissions/capability.js'
import type {AssetRecord, VaultBody} from '../secrets/vault-schema.js'

const ASSET_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/

export function checkAssetName(name: string): string {
  if (!ASSET_NAME.test(name) || name.includes('..')) {
    throw usageError(`asset name "${name}" must be 1-63 lowercase letters, digits, dots, dashes or underscores, starting with a letter or digit`, ['e.g. --name shop or --name my-app.web'])
  }
  return name
}

export function requireAsset(body: VaultBody, name: string): AssetRecord {
  const asset = body.assets.find((candidate) => candidate.name === name)
  if (!asset) {
    throw new VaultError('INVALID_INPUT', `no asset named "${name}"`, {
      suggestions: [`register it: codex-vault bind PATH --name ${name}`, 'list assets: codex-vault asset list'],
    })
  }
  return asset
}

/** What `run` injects by default: resolved required/likely capabilities plus the owner's includes, minus excludes. */
export function boundCapabilities(asset: AssetRecord): string[] {
  const resolved = asset.capabilities.filter((item) => item.confidence !== 'mentioned').map((item) => item.capability)
  const all = [...new Set([...resolved, ...asset.overrides.include])]
  // an exclude may be a pattern (ai.*.inference); includes are always exact (bind refuses wildcards)
  return all.filter((capability) => !asset.overrides.exclude.some((excluded) => capabilityMatches(excluded, capability))).sort()
}

export interface AssetSummary {
  name: string
  path: string
  owner: string
  enabled: boolean
  capabilities: string[]
  updated: string
  disabledReason?: string
}

export function summarise(asset: AssetRecord): AssetSummary {
  return {
    name: asset.name, path: asset.path, owner: asset.owner, enabled: asset.enabled, capabilities: boundCapabilities(asset), updated: asset.updated,
    ...(asset.disabledReason ? {disabledReason: asset.disabledReason} : {}),
  }
}

export function listAssets(body: VaultBody): AssetSummary[] {
  return body.assets.map((asset) => summarise(asset)).sort((a, b) => a.name.localeCompare(b.name))
}

export async function setAssetEnabled(vault: AuthenticatedVault, options: {name: string; enabled: boolean; reason?: string; now: Date}): Promise<AssetSummary> {
  requireAsset(vault.body, options.name)
  return vault.transact((body) => {
    const asset = requireAsset(body, options.name)
    asset.enabled = options.enabled
    asset.updated = options.now.toISOString()
    if (options.enabled) delete asset.disabledReason
    else if (options.reason) asset.disabledReason = options.reason
    return {result: summarise(asset), events: [{type: options.enabled ? 'asset.enable' : 'asset.disable', outcome: 'ok', asset: asset.name, ...(options.reason ? {reason: options.reason} : {})}]}
  })
}

export async function removeAsset(vault: AuthenticatedVault, options: {name: string}): Promise<{name: string; grantsRevoked: number}> {
  requireAsset(vault.body, options.name)
  return vault.transact((body) => {
    body.assets = body.assets.filter((asset) => asset.name !== options.name)
    // grants of a removed asset must not come back to life if the name is bound again
    const before = body.grants.length
    body.grants = body.grants.filter((grant) => grant.asset !== options.name)
    const grantsRevoked = before - body.grants.length
    return {result: {name: options.name, grantsRevoked}, events: [{type: 'asset.remove', outcome: 'ok', asset: options.name, data: {grantsRemoved: grantsRevoked}}]}
  })
}
