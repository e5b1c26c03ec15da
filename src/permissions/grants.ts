/** Grants: time-bound, optionally use-limited approvals of asset x capability; revocable. */
import type {AuthenticatedVault} from '../cli/context.js'
import {VaultError, usageError} from '../cli/errors.js'
import {randomBytes, toB64} from '../secrets/crypto.js'
import type {GrantRecord, VaultBody} from '../secrets/vault-schema.js'
import {capabilityMatches, parseCapabilityPattern} from './capability.js'
import {grantTtl} from './ttl-policy.js'

export type GrantState = 'active' | 'expired' | 'revoked' | 'used-up' | 'pending'

export interface GrantView extends GrantRecord {
  state: GrantState
}

export function grantState(grant: GrantRecord, now: Date): GrantState {
  if (grant.revoked) return 'revoked'
  if (grant.usesLeft === 0) return 'used-up'
  const t = now.getTime()
  if (t < Date.parse(grant.notBefore)) return 'pending'
  if (t >= Date.parse(grant.expires)) return 'expired'
  return 'active'
}

/** On a tie, which ended grant a denial names: a used-up one first, then an expired, a revoked, a pending one. */
const ENDED_ORDER: GrantState[] = ['used-up', 'expired', 'revoked', 'pending']

/**
 * When a grant stopped counting. A used-up grant keeps no time of its last use: the provider's
 * key was last injected (secret.lastInjected, written by every allowed run) at or after it, so
 * that is taken, never before the approval.
 */
function endedAt(body: VaultBody, grant: GrantRecord, state: GrantState, provider: string | undefined): number {
  if (state === 'revoked') return Date.parse(grant.revoked!)
  if (state === 'expired') return Date.parse(grant.expires)
  let at = Date.parse(grant.approved)
  if (state === 'used-up') {
    for (const secret of body.secrets) if (secret.provider === provider && secret.lastInjected) at = Math.max(at, Date.parse(secret.lastInjected))
  }
  return at
}

/**
 * The active grant with the most time left that covers the capability, or why none does: the
 * grant that covered it and stopped counting last (`ended`), or none. `provider` offers the capability.
 */
export function findGrant(body: VaultBody, asset: string, capability: string, now: Date, provider?: string): {grant?: GrantRecord; reason?: string; ended?: {id: string; state: GrantState; capability: string}} {
  const covering = body.grants.filter((grant) => grant.asset === asset && capabilityMatches(grant.capability, capability))
  const active = covering.filter((grant) => grantState(grant, now) === 'active').sort((a, b) => Date.parse(b.expires) - Date.parse(a.expires))
  if (active.length > 0) return {grant: active[0]}
  if (covering.length === 0) return {reason: 'no grant'}
  const ranked = covering.map((grant) => {
    const state = grantState(grant, now)
    return {grant, state, at: endedAt(body, grant, state, provider)}
  }).sort((a, b) => b.at - a.at || ENDED_ORDER.indexOf(a.state) - ENDED_ORDER.indexOf(b.state))
  const {grant: latest, state} = ranked[0]
  // a wildcard grant is named with its pattern, so that it is clear why it counts for this capability
  const name = latest.capability === capability ? `grant ${latest.id}` : `grant ${latest.id} (${latest.capability})`
  const detail = state === 'expired' ? `${name} expired at ${latest.expires}`
    : state === 'revoked' ? `${name} was revoked${latest.revokedReason ? ` (${latest.revokedReason})` : ''}`
      : state === 'used-up' ? `${name} has no uses left` : `${name} is not valid before ${latest.notBefore}`
  return {reason: detail, ended: {id: latest.id, state, capability: latest.capability}}
}

export interface ApproveOptions {
  asset: string
  capability: string
  ttlMs?: number
  uses?: number
  reason?: string
  now: Date
}

export function buildGrant(body: VaultBody, options: ApproveOptions): GrantRecord {
  const capability = parseCapabilityPattern(options.capability)
  if (!body.assets.some((asset) => asset.name === options.asset)) {
    throw new VaultError('INVALID_INPUT', `no asset named "${options.asset}"`, {suggestions: ['register it first: codex-vault bind PATH --name ' + options.asset, 'list assets: codex-vault asset list']})
  }
  if (options.uses !== undefined && (!Number.isSafeInteger(options.uses) || options.uses < 1)) throw usageError('--uses must be a whole number of at least 1')
  const ttl = grantTtl(capability, options.ttlMs)
  const now = options.now.toISOString()
  return {
    id: `g_${toB64(randomBytes(6))}`, asset: options.asset, capability, approved: now, notBefore: now,
    expires: new Date(options.now.getTime() + ttl).toISOString(), usesLeft: options.uses ?? null,
    ...(options.reason ? {reason: options.reason} : {}), revoked: null,
  }
}

export async function approveGrant(vault: AuthenticatedVault, options: ApproveOptions): Promise<GrantRecord> {
  const catalog = await vault.catalog()
  return vault.transact((body) => {
    const grant = buildGrant(body, options)
    body.grants.push(grant)
    // A new approval is the explicit way to lift a provider's kill switch: only for providers it actually covers.
    const covers = (provider: string) => (catalog.get(provider)?.capabilities ?? []).some((capability) => capabilityMatches(grant.capability, capability))
    const lifted = body.killedProviders.filter((entry) => covers(entry.provider)).map((entry) => entry.provider)
    body.killedProviders = body.killedProviders.filter((entry) => !lifted.includes(entry.provider))
    return {result: grant, events: [{type: 'grant.approve', outcome: 'ok', asset: grant.asset, capability: grant.capability,
      data: {grant: grant.id, expires: grant.expires, uses: grant.usesLeft, ...(grant.reason ? {reason: grant.reason} : {}), ...(lifted.length > 0 ? {liftedKill: lifted} : {})}}]}
  })
}

export function listGrants(body: VaultBody, options: {asset?: string; all: boolean; now: Date}): GrantView[] {
  return body.grants
    .filter((grant) => !options.asset || grant.asset === options.asset)
    .map((grant) => ({...grant, state: grantState(grant, options.now)}))
    .filter((grant) => options.all || grant.state === 'active' || grant.state === 'pending')
    .sort((a, b) => a.asset.localeCompare(b.asset) || a.capability.localeCompare(b.capability) || a.approved.localeCompare(b.approved))
}

export interface RevokeOptions {
  id?: string
  asset?: string
  capability?: string
  reason?: string
  now: Date
}

/** Active, or approved for later: what a revocation can still end. */
export function isLive(grant: GrantRecord, now: Date): boolean {
  const state = grantState(grant, now)
  return state === 'active' || state === 'pending'
}

/** Mark matching live grants revoked inside a transaction; returns their ids. */
export function revokeMatching(body: VaultBody, options: RevokeOptions): string[] {
  const revoked: string[] = []
  for (const grant of body.grants) {
    // only live grants: an expired or used-up one keeps the record of how it ended
    if (!isLive(grant, options.now)) continue
    if (options.id && grant.id !== options.id) continue
    if (options.asset && grant.asset !== options.asset) continue
    // either pattern may hold the wildcard: revoking ai.openai.inference also ends an ai.*.inference grant
    if (options.capability && !capabilityMatches(options.capability, grant.capability) && !capabilityMatches(grant.capability, options.capability)) continue
    grant.revoked = options.now.toISOString()
    if (options.reason) grant.revokedReason = options.reason
    revoked.push(grant.id)
  }
  return revoked
}

export async function revokeGrants(vault: AuthenticatedVault, options: RevokeOptions): Promise<string[]> {
  if (!options.id && !options.asset) {
    throw usageError('say which grants to revoke: a grant ID, or --asset X [--capability C]', ['codex-vault grant revoke --asset shop', 'list grants: codex-vault grant list'])
  }
  if (options.id && !vault.body.grants.some((grant) => grant.id === options.id)) {
    throw new VaultError('INVALID_INPUT', `no grant with id ${options.id}`, {suggestions: ['list grants: codex-vault grant list --all']})
  }
  // as approve and kill do; an asset removed since keeps its grants, which can still be revoked by its name
  if (options.asset && !vault.body.assets.some((asset) => asset.name === options.asset) && !vault.body.grants.some((grant) => grant.asset === options.asset)) {
    throw new VaultError('INVALID_INPUT', `no asset named "${options.asset}"`, {suggestions: ['list assets: codex-vault asset list']})
  }
  if (options.capability) parseCapabilityPattern(options.capability)
  return vault.transact((body) => {
    const ids = revokeMatching(body, options)
    return {result: ids, events: [{type: 'grant.revoke', outcome: 'ok', asset: options.asset, capability: options.capability,
      data: {grants: ids, ...(options.reason ? {reason: options.reason} : {})}}]}
  })
}
