/**
 * The registry's rules for `bind`, around the binding that ingest/binder.ts computes:
 *   - an existing asset does not silently move to another folder or app: a change of folder,
 *     package name or git remote needs --force, and is then shown and audited (its grants would
 *     otherwise start covering unrelated code);
 *   - overrides name capabilities some provider offers, never contradict each other, and can be
 *     dropped (--reset-overrides);
 *   - the diff reports what changed, not evidence that only moved to other lines.
 * bindAsset (src/ingest) owns scanning, resolving and the record's shape. These rules run inside
 * its transaction, through a view of the vault whose transact() wraps the mutation: checked against
 * the state read under the vault lock, and refused before anything is written or audited.
 */
import type {AuditData} from '../audit/events.js'
import type {AuthenticatedVault} from '../cli/context.js'
import {VaultError, usageError} from '../cli/errors.js'
import {type BindDiff, type BindOptions, type BindResult, bindAsset} from '../ingest/binder.js'
import {capabilityMatches, isWildcard, parseCapabilityPattern} from '../permissions/capability.js'
import {isLive} from '../permissions/grants.js'
import type {Catalog} from '../secrets/providers/catalog.js'
import type {TransactionOutcome} from '../secrets/vault-store.js'
import type {AssetRecord, VaultBody} from '../secrets/vault-schema.js'
import {boundCapabilities} from './assets.js'

export interface BindRequest extends BindOptions {
  /** accept a change of folder or identity of an existing asset */
  force?: boolean
  /** drop the asset's earlier overrides before applying this request's include / exclude */
  resetOverrides?: boolean
}

export interface IdentityChange {
  path?: {from: string; to: string}
  packageName?: {from: string | null; to: string | null}
  gitRemote?: {from: string | null; to: string | null}
}

export interface BindingDiff extends BindDiff {
  /** set when the asset's folder, package name or git remote changed */
  identity?: IdentityChange
}

export interface BindingResult extends BindResult {
  diff: BindingDiff
}

const offered = (catalog: Catalog, capability: string) => catalog.byCapability(capability) !== undefined

function noProvider(flag: string, capability: string): VaultError {
  return usageError(`${flag} ${capability}: no provider offers ${capability}; see codex-vault provider list`, [
    'run `codex-vault provider list` for the capabilities on offer',
    'a provider of your own can offer it: `codex-vault provider add FILE`',
  ])
}

/** Overrides that could never do what they say are refused before anything changes. */
export function checkOverrides(catalog: Catalog, include: string[], exclude: string[]): void {
  // an include may not be a pattern; bindAsset says so, in its own words
  const exact = include.map((text) => parseCapabilityPattern(text)).filter((capability) => !isWildcard(capability))
  const patterns = exclude.map((text) => parseCapabilityPattern(text))
  for (const capability of exact) {
    const contradiction = patterns.find((pattern) => capabilityMatches(pattern, capability))
    if (contradiction) {
      throw usageError(`--capability ${capability} and --exclude-capability ${contradiction} contradict each other`, [
        'give one of them: --capability to always include it, --exclude-capability to never include it',
      ])
    }
  }
  for (const capability of exact) if (!offered(catalog, capability)) throw noProvider('--capability', capability)
  // a wildcard exclude may name capabilities to come; an exact one that matches nothing is a typo that excludes nothing
  for (const pattern of patterns) if (!isWildcard(pattern) && !offered(catalog, pattern)) throw noProvider('--exclude-capability', pattern)
}

function identityChange(before: AssetRecord, after: AssetRecord): IdentityChange | undefined {
  const change: IdentityChange = {}
  if (before.path !== after.path) change.path = {from: before.path, to: after.path}
  if (before.identity.packageName !== after.identity.packageName) {
    change.packageName = {from: before.identity.packageName ?? null, to: after.identity.packageName ?? null}
  }
  if (before.identity.gitRemote !== after.identity.gitRemote) change.gitRemote = {from: before.identity.gitRemote ?? null, to: after.identity.gitRemote ?? null}
  return Object.keys(change).length > 0 ? change : undefined
}

/** A folder change, or a package name or git remote that changed or went away; gaining one where there was none is not a move. */
function needsForce(change: IdentityChange): boolean {
  const lost = (part: {from: string | null} | undefined) => part !== undefined && part.from !== null
  return change.path !== undefined || lost(change.packageName) || lost(change.gitRemote)
}

/** One line per changed part, e.g. `folder /apps/shop -> /apps/other`, for messages and the audit log. */
export function describeIdentityChange(change: IdentityChange): string[] {
  const quoted = (value: string | null) => (value === null ? '(none)' : JSON.stringify(value))
  return [
    ...(change.path ? [`folder ${change.path.from} -> ${change.path.to}`] : []),
    ...(change.packageName ? [`package name ${quoted(change.packageName.from)} -> ${quoted(change.packageName.to)}`] : []),
    ...(change.gitRemote ? [`git remote ${change.gitRemote.from ?? '(none)'} -> ${change.gitRemote.to ?? '(none)'}`] : []),
  ]
}

type Resolved = AssetRecord['capabilities'][number]

/** Evidence as what was found where, without line numbers: an edit above a finding moves it, and that is not a change. */
function findings(item: Resolved): string[] {
  return item.evidence.map((e) => `${e.file} ${e.kind}`).sort()
}

/** The findings in `a` that `b` lacks (as multisets). */
function missingFrom(a: string[], b: string[]): string[] {
  const left = [...b]
  return a.filter((finding) => {
    const at = left.indexOf(finding)
    if (at < 0) return true
    left.splice(at, 1)
    return false
  })
}

function listed(items: string[]): string {
  return items.length <= 3 ? items.join(', ') : `${items.slice(0, 3).join(', ')} and ${items.length - 3} more`
}

export function diffBinding(before: AssetRecord | undefined, after: AssetRecord): BindingDiff {
  const old = new Set(before ? boundCapabilities(before) : [])
  const now = new Set(boundCapabilities(after))
  const previousByCapability = new Map((before?.capabilities ?? []).map((item) => [item.capability, item]))
  const changed: BindDiff['changed'] = []
  for (const item of after.capabilities) {
    const previous = previousByCapability.get(item.capability)
    if (!previous) continue
    const gone = missingFrom(findings(previous), findings(item))
    const come = missingFrom(findings(item), findings(previous))
    if (previous.confidence === item.confidence && gone.length === 0 && come.length === 0) continue
    let from = `${previous.confidence}, ${previous.evidence.length} evidence`
    let to = `${item.confidence}, ${item.evidence.length} evidence`
    if (from === to) {
      // same counts, other findings: say which
      from += ` (${listed(gone)})`
      to += ` (${listed(come)})`
    }
    changed.push({capability: item.capability, from, to})
  }
  const identity = before ? identityChange(before, after) : undefined
  return {added: [...now].filter((c) => !old.has(c)), removed: [...old].filter((c) => !now.has(c)), changed, ...(identity ? {identity} : {})}
}

/** The owner's earlier overrides as this request leaves them, before bindAsset adds the request's own. */
function baseOverrides(before: AssetRecord, request: BindRequest): AssetRecord['overrides'] {
  const overrides = request.resetOverrides ? {include: [], exclude: []} : before.overrides
  for (const capability of request.include) {
    // an exact earlier exclude is cancelled by bindAsset; a pattern would still exclude the include
    const pattern = overrides.exclude.find((excluded) => excluded !== capability && capabilityMatches(excluded, capability))
    if (pattern) {
      throw usageError(`--capability ${capability} is excluded by the asset's earlier --exclude-capability ${pattern}`, [
        `start its overrides over: codex-vault bind PATH --name ${before.name} --reset-overrides --capability ${capability} [--exclude-capability ...]`,
      ])
    }
  }
  return {
    // the latest instruction wins: a new exclude pattern drops earlier includes it matches
    include: overrides.include.filter((capability) => !request.exclude.some((pattern) => capabilityMatches(pattern, capability))),
    exclude: [...overrides.exclude],
  }
}

function movedRefusal(name: string, change: IdentityChange, body: VaultBody, now: Date): VaultError {
  const lines = describeIdentityChange(change)
  const grants = body.grants.filter((grant) => grant.asset === name && isLive(grant, now)).length
  const target = change.path?.to ?? 'PATH'
  return new VaultError('INVALID_INPUT', `asset ${name} is bound to another app: ${lines.join('; ')}`, {
    details: {asset: name, changes: lines},
    suggestions: [
      `if it is the same app, moved or renamed, run again with --force${grants > 0 ? ` (its ${grants} active grant(s) then cover the code in ${target})` : ''}`,
      `to register a different app, give it a name of its own: codex-vault bind ${target} --name NEW-NAME`,
    ],
  })
}

/** `bind`: bindAsset with the rules above, in one transaction and one audit record. */
export async function bindWithPolicy(vault: AuthenticatedVault, request: BindRequest): Promise<BindingResult> {
  checkOverrides(await vault.catalog(), request.include, request.exclude)
  const view: AuthenticatedVault = Object.create(vault)
  view.transact = <T>(mutate: Parameters<AuthenticatedVault['transact']>[0], flags?: Parameters<AuthenticatedVault['transact']>[1]) => vault.transact<T>(async (body, now) => {
    const index = body.assets.findIndex((asset) => asset.name === request.name)
    const before = index >= 0 ? structuredClone(body.assets[index]) : undefined
    if (before) body.assets[index].overrides = baseOverrides(before, request)
    const outcome = await mutate(body, now) as TransactionOutcome<T>
    const after = body.assets.find((asset) => asset.name === request.name)
    if (!after) return outcome
    const diff = diffBinding(before, after)
    if (before && diff.identity && needsForce(diff.identity) && !request.force) throw movedRefusal(request.name, diff.identity, body, request.now)
    const result = outcome.result as unknown as BindingResult
    result.diff = diff
    const [event, ...rest] = outcome.events
    const data: AuditData = {...event.data, added: diff.added, removed: diff.removed}
    if (before && diff.identity) {
      data.identityChanges = describeIdentityChange(diff.identity)
      data.previousIdentity = before.identity.fingerprint
      if (needsForce(diff.identity)) data.forced = true
    }
    if (before && request.resetOverrides) data.overridesReset = true
    return {...outcome, events: [{...event, data}, ...rest]}
  }, flags)
  return bindAsset(view, request) as Promise<BindingResult>
}
