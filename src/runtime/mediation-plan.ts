/**
 * Which providers of an allowed run `--mediate` stands in for, and how. Every injected provider
 * must be mediatable: a run that asked for mediation and got a real key in its environment would
 * be the very leak the flag exists to prevent, so anything else is refused before the allow record.
 */
import {VaultError} from '../cli/errors.js'
import type {Catalog} from '../secrets/providers/catalog.js'
import type {Mediation} from '../secrets/providers/schema.js'
import type {AllowedCapability, RunDecision} from './authorize.js'
import {validateInjectedEnvName} from './env.js'
import {upstreamProxy} from './proxy-env.js'

export interface MediatedProvider {
  provider: string
  mediate: Mediation
  /** the grants behind it, re-checked before each request (requests are told apart by provider, not capability) */
  grants: string[]
  /** the key entries it stands in for (several env names may carry one secret) */
  inject: AllowedCapability['inject']
  /** the proxy this process's environment sets for the upstream, or null: decided here, once */
  proxy: URL | null
}

/** Every variable that carries the provider's base URL: the SDKs' own name, then wrappers' names. */
export function baseUrlNames(mediate: Mediation): string[] {
  return [mediate.baseUrlEnv, ...(mediate.baseUrlAliases ?? [])]
}

function unmediatable(refused: string[], others: string[]): VaultError {
  return new VaultError('INVALID_INPUT', `run --mediate: ${refused.join(', ')} cannot be mediated: no base URL variable of its SDKs is known, so its key would have to be injected`, {
    suggestions: [
      others.length > 0 ? `mediate the others only: ${others.map((c) => `--capability ${c}`).join(' ')}` : 'run without --mediate to inject the keys (masked in the output)',
      'or describe the provider\'s base URL variable in a user provider (mediate: {baseUrlEnv, upstream}) with `codex-vault provider add FILE`',
    ],
    details: {providers: refused},
  })
}

/**
 * Before anything is decided or recorded: a requested capability whose provider cannot be mediated
 * is a usage error (exit 2), whatever the grants say. Capabilities no provider offers are left to
 * the decision, which denies them.
 */
export function refuseUnmediatable(capabilities: string[], catalog: Catalog): void {
  const refused: string[] = []
  const others: string[] = []
  for (const capability of capabilities) {
    const provider = catalog.byCapability(capability)
    if (!provider) continue
    if (provider.mediate) others.push(capability)
    else if (!refused.includes(provider.id)) refused.push(provider.id)
  }
  if (refused.length > 0) throw unmediatable(refused, others)
}

export function planMediation(decision: RunDecision, catalog: Catalog): MediatedProvider[] {
  const byProvider = new Map<string, MediatedProvider>()
  const refused: string[] = []
  for (const item of decision.allowed) {
    const mediate = catalog.get(item.provider)?.mediate
    if (!mediate) {
      if (!refused.includes(item.provider)) refused.push(item.provider)
      continue
    }
    const known = byProvider.get(item.provider)
    if (known) {
      if (!known.grants.includes(item.grant.id)) known.grants.push(item.grant.id)
      for (const entry of item.inject) if (!known.inject.some((seen) => seen.env === entry.env)) known.inject.push(entry)
    } else {
      // a proxy setting mediation cannot use is refused here, before the allow record, not at the first request
      byProvider.set(item.provider, {provider: item.provider, mediate, grants: [item.grant.id], inject: [...item.inject], proxy: upstreamProxy(new URL(mediate.upstream))})
    }
  }
  if (refused.length > 0) throw unmediatable(refused, decision.allowed.filter((item) => !refused.includes(item.provider)).map((item) => item.capability))
  const plan = [...byProvider.values()]
  for (const item of plan) {
    for (const name of baseUrlNames(item.mediate)) {
      validateInjectedEnvName(name)
      const clash = plan.find((other) => other !== item && baseUrlNames(other.mediate).includes(name))
      if (clash) {
        throw new VaultError('INVALID_INPUT', `run --mediate: ${item.provider} and ${clash.provider} both use ${name}; one run cannot point it at both`, {
          suggestions: [`run them separately with --capability`],
        })
      }
    }
  }
  return plan
}
