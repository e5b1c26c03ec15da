/**
 * The mediated half of `run` (run-app.ts): what --dry-run shows about mediation, starting the
 * proxy for a run, and what its exit record says about it. The proxy itself (mediator.ts, with
 * node:http) is loaded only here, when a run asks for it.
 */
import type {AuditEvent} from '../audit/events.js'
import type {AuthenticatedVault} from '../cli/context.js'
import type {LiveRefusal} from './mediation-check.js'
import {type FollowedKey, KeyFollower} from './mediation-keys.js'
import {type MediatedProvider, baseUrlNames} from './mediation-plan.js'
import type {MediatedKey, Mediator} from './mediator.js'
import {shownProxy} from './proxy-env.js'

/** The mediation part of a dry-run plan: where each provider's SDKs are pointed, and through which proxy. */
export interface MediationSummary {
  provider: string
  baseUrlEnv: string
  baseUrlAliases?: string[]
  upstream: string
  /** the proxy's origin, without credentials, when the environment sets one for the upstream */
  proxy?: string
  placeholders: string[]
}

export interface MediationRequest {
  asset: string
  command: string
  parentEnv: NodeJS.ProcessEnv
  cleanEnv: boolean
  warn: (message: string) => void
  /** the run's one re-checker of the vault (mediation-check.ts liveRefusal), shared with --while-granted */
  refusal: LiveRefusal
  /** writes an audit record, warning instead of failing (the run has started) */
  record: (event: Omit<AuditEvent, 'asset'>) => Promise<void>
  /** writes an audit record, rejecting when it cannot: for a decision that must not take effect unrecorded */
  recordOrRefuse: (event: Omit<AuditEvent, 'asset'>) => Promise<void>
}

export function mediationSummary(plan: MediatedProvider[]): MediationSummary[] {
  return plan.map((item) => ({
    provider: item.provider, baseUrlEnv: item.mediate.baseUrlEnv, ...(item.mediate.baseUrlAliases ? {baseUrlAliases: item.mediate.baseUrlAliases} : {}),
    upstream: item.mediate.upstream, ...(item.proxy ? {proxy: shownProxy(item.proxy)} : {}), placeholders: item.inject.map((entry) => entry.env),
  }))
}

/** The audit log's flat data shape: one line per provider plus totals a query can compare. */
export function mediationAudit(mediator: Mediator): {mediation: string[]; mediatedForwarded: number; mediatedRefused: number; mediatedCalls: string[]} {
  const stats = Object.entries(mediator.stats())
  return {
    mediatedCalls: mediator.calls(),
    mediation: stats.map(([provider, s]) => `${provider}: ${s.forwarded} forwarded, ${s.refused} refused (no placeholder), ${s.denied} denied (grant no longer valid), ${s.failed} failed`),
    mediatedForwarded: stats.reduce((sum, [, s]) => sum + s.forwarded, 0),
    mediatedRefused: stats.reduce((sum, [, s]) => sum + s.refused + s.denied, 0),
  }
}

/**
 * Starts the proxy for a mediated run and returns what the child gets instead of the keys: a
 * placeholder per stored secret (aliases share it) and each provider's base URL variable.
 */
export async function startMediation(vault: AuthenticatedVault, plan: MediatedProvider[], values: Map<string, string>, request: MediationRequest): Promise<{mediator: Mediator; inject: Record<string, string>}> {
  // loaded only here: node:http and node:https would cost every plain run's startup
  const {newPlaceholder, startMediator} = await import('./mediator.js')
  const inject: Record<string, string> = {}
  const followed: FollowedKey[] = []
  const follower = new KeyFollower(followed, {
    vaultId: vault.header.vaultId, keys: () => vault.keys, record: request.recordOrRefuse, tell: request.warn,
  })
  const routes = plan.map((item) => {
    const bySecret = new Map<string, MediatedKey>()
    for (const entry of item.inject) {
      let key = bySecret.get(entry.secretId)
      if (!key) {
        bySecret.set(entry.secretId, key = {env: entry.env, value: values.get(entry.secretId)!, placeholder: newPlaceholder()})
        // a secret's first entry carries its stored name; aliases (authorize.ts) come after it
        followed.push({key, provider: item.provider, storedEnv: entry.env, fingerprint: entry.fingerprint})
      }
      inject[entry.env] = key.placeholder
    }
    return {
      provider: item.provider, mediate: item.mediate, proxy: item.proxy, keys: [...bySecret.values()],
      stillAllowed: () => request.refusal({asset: request.asset, provider: item.provider, grants: item.grants, follow: (body) => follower.follow(body, item.provider)}),
      onFirstRefusal: (status: 401 | 403, reason: string) => request.record({
        type: status === 403 ? 'run.mediation.deny' : 'run.mediation.refuse', outcome: 'deny', provider: item.provider, reason,
        data: {command: request.command, status, note: 'the first of this run; later ones are counted in run.exit'},
      }),
    }
  })
  const mediator = await startMediator(routes)
  for (const item of plan) {
    for (const name of baseUrlNames(item.mediate)) {
      // the value is not echoed: a gateway URL may carry credentials (https://user:token@...)
      if (request.parentEnv[name] && !request.cleanEnv) request.warn(`${name} from your environment is replaced for this run; mediated requests go to ${item.mediate.upstream}`)
      inject[name] = mediator.baseUrl(item.provider)
    }
  }
  return {mediator, inject}
}
