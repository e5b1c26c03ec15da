/**
 * `bind PATH --name X`: scan + resolve + register or update the asset, keeping the owner's manual
 * overrides apart from what the scan found, and reporting how the binding changed.
 */
import {userInfo} from 'node:os'

import type {AuthenticatedVault} from '../cli/context.js'
import {usageError} from '../cli/errors.js'
import {isWildcard, parseCapabilityPattern} from '../permissions/capability.js'
import {boundCapabilities, checkAssetName} from '../registry/assets.js'
import type {AssetRecord} from '../secrets/vault-schema.js'
import {assetIdentity} from './identity.js'
import {resolve, type ResolvedCapability} from './resolver.js'
import type {ScanResult} from './scan.js'

export interface BindOptions {
  name: string
  scan: ScanResult
  include: string[]
  exclude: string[]
  owner?: string
  now: Date
}

export interface BindDiff {
  added: string[]
  removed: string[]
  /** same capability, different confidence or evidence */
  changed: {capability: string; from: string; to: string}[]
}

export interface BindResult {
  asset: string
  path: string
  created: boolean
  capabilities: string[]
  resolved: ResolvedCapability[]
  overrides: {include: string[]; exclude: string[]}
  diff: BindDiff
  leaks: number
}

/** A monorepo binds as one asset: the union of its apps' capabilities, strongest confidence wins. */
function mergeApps(scan: ScanResult, providers: Parameters<typeof resolve>[1]): ResolvedCapability[] {
  const byCapability = new Map<string, ResolvedCapability>()
  const rank = {required: 3, likely: 2, mentioned: 1}
  for (const app of resolve(scan, providers).apps) {
    for (const item of app.capabilities) {
      const existing = byCapability.get(item.capability)
      if (!existing) byCapability.set(item.capability, {...item, env: [...item.env], evidence: [...item.evidence]})
      else {
        if (rank[item.confidence] > rank[existing.confidence]) existing.confidence = item.confidence
        existing.env = [...new Set([...existing.env, ...item.env])]
        existing.evidence.push(...item.evidence)
      }
    }
  }
  return [...byCapability.values()].sort((a, b) => a.capability.localeCompare(b.capability))
}

function evidenceKey(item: Pick<ResolvedCapability, 'confidence'> & {evidence: {file: string; line: number; kind: string}[]}): string {
  return `${item.confidence}:${item.evidence.map((e) => `${e.file}:${e.line}:${e.kind}`).join(',')}`
}

function diffBinding(before: AssetRecord | undefined, after: AssetRecord): BindDiff {
  const old = new Set(before ? boundCapabilities(before) : [])
  const now = new Set(boundCapabilities(after))
  const oldResolved = new Map((before?.capabilities ?? []).map((item) => [item.capability, item]))
  const changed: BindDiff['changed'] = []
  for (const item of after.capabilities) {
    const previous = oldResolved.get(item.capability)
    if (previous && evidenceKey(previous) !== evidenceKey(item)) {
      changed.push({capability: item.capability, from: `${previous.confidence}, ${previous.evidence.length} evidence`, to: `${item.confidence}, ${item.evidence.length} evidence`})
    }
  }
  return {added: [...now].filter((c) => !old.has(c)), removed: [...old].filter((c) => !now.has(c)), changed}
}

/** An include names what to inject: a pattern cannot be injected, so it must be exact. */
function concreteCapability(text: string, flag: string): string {
  const capability = parseCapabilityPattern(text)
  if (isWildcard(capability)) throw usageError(`${flag} ${text}: an include takes an exact capability, without "*"`, ['list them one by one, e.g. --capability ai.openai.inference'])
  return capability
}

export async function bindAsset(vault: AuthenticatedVault, options: BindOptions): Promise<BindResult> {
  const name = checkAssetName(options.name)
  const include = options.include.map((c) => concreteCapability(c, '--capability'))
  const exclude = options.exclude.map((c) => parseCapabilityPattern(c))
  const catalog = await vault.catalog()
  const resolved = mergeApps(options.scan, catalog.providers)
  const rootManifest = options.scan.manifests.find((m) => !m.file.includes('/') && m.name) ?? options.scan.manifests.find((m) => m.name)
  const identity = assetIdentity(options.scan.root, rootManifest?.name)
  return vault.transact((body) => {
    const index = body.assets.findIndex((asset) => asset.name === name)
    const before = index >= 0 ? body.assets[index] : undefined
    const now = options.now.toISOString()
    const overrides = {
      include: [...new Set([...(before?.overrides.include ?? []).filter((c) => !exclude.includes(c)), ...include])].sort(),
      exclude: [...new Set([...(before?.overrides.exclude ?? []).filter((c) => !include.includes(c)), ...exclude])].sort(),
    }
    const asset: AssetRecord = {
      name, path: options.scan.root, identity, owner: options.owner ?? before?.owner ?? userInfo().username, enabled: before?.enabled ?? true,
      created: before?.created ?? now, updated: now,
      capabilities: resolved.map((item) => ({capability: item.capability, provider: item.provider, confidence: item.confidence, env: item.env,
        evidence: item.evidence.slice(0, 50).map((e) => ({file: e.file, line: e.line, kind: e.kind}))})),
      overrides, ...(before?.disabledReason ? {disabledReason: before.disabledReason} : {}),
    }
    if (before) body.assets[index] = asset
    else body.assets.push(asset)
    const diff = diffBinding(before, asset)
    return {
      result: {asset: name, path: asset.path, created: !before, capabilities: boundCapabilities(asset), resolved, overrides, diff, leaks: options.scan.leaks.length},
      events: [{type: before ? 'asset.rebind' : 'asset.bind', outcome: 'ok', asset: name, data: {
        path: asset.path, capabilities: boundCapabilities(asset), added: diff.added, removed: diff.removed, identity: identity.fingerprint,
      }}],
    }
  })
}
