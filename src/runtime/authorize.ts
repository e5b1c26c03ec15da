/**
 * The capability check that precedes every injection. Pure: body + catalog + time in, a decision
 * out, so `run`, `run --dry-run` and the re-check inside the allow transaction agree exactly.
 */
import {formatDuration} from '../cli/duration.js'
import {findGrant} from '../permissions/grants.js'
import {ttlRule} from '../permissions/ttl-policy.js'
import {boundCapabilities} from '../registry/assets.js'
import type {Catalog} from '../secrets/providers/catalog.js'
import type {SecretRecord, VaultBody} from '../secrets/vault-schema.js'

export type DenialCode = 'asset-missing' | 'asset-disabled' | 'unknown-capability' | 'provider-killed' | 'no-grant' | 'no-secret' | 'nothing-requested'

export interface Denial {
  capability: string
  code: DenialCode
  reason: string
  /** the exact command the owner can run to allow it */
  fix: string
  /** with code no-grant: the grant the reason names (the most relevant one that covered the capability), absent when none did */
  grant?: {id: string; state: string; capability: string}
}

export interface AllowedCapability {
  capability: string
  provider: string
  grant: {id: string; expires: string; usesLeft: number | null}
  /** env name -> secret record id; several names may carry the same record */
  inject: {env: string; secretId: string; fingerprint: string; credentialFile: boolean}[]
}

export interface RunDecision {
  asset: string
  requested: string[]
  allowed: AllowedCapability[]
  denials: Denial[]
}

function approveCommand(asset: string, capability: string): string {
  return `codex-vault grant approve --asset ${asset} --capability ${capability} --ttl ${formatDuration(ttlRule(capability).defaultMs)}`
}

export function authorizeRun(body: VaultBody, catalog: Catalog, request: {asset: string; capabilities?: string[]; now: Date}): RunDecision {
  const asset = body.assets.find((candidate) => candidate.name === request.asset)
  const requested = request.capabilities && request.capabilities.length > 0 ? [...new Set(request.capabilities)] : asset ? boundCapabilities(asset) : []
  const decision: RunDecision = {asset: request.asset, requested, allowed: [], denials: []}
  if (!asset) {
    decision.denials.push({capability: '*', code: 'asset-missing', reason: `no asset named "${request.asset}"`, fix: `codex-vault bind PATH --name ${request.asset}`})
    return decision
  }
  if (!asset.enabled) {
    decision.denials.push({capability: '*', code: 'asset-disabled', reason: `asset ${asset.name} is disabled${asset.disabledReason ? ` (${asset.disabledReason})` : ''}`, fix: `codex-vault asset enable ${asset.name}`})
    return decision
  }
  if (requested.length === 0) {
    decision.denials.push({capability: '*', code: 'nothing-requested', reason: `asset ${asset.name} has no bound capabilities and none was requested`,
      fix: `codex-vault run --asset ${asset.name} --capability <domain.provider.action> -- ...`})
    return decision
  }
  const killed = new Set(body.killedProviders.map((entry) => entry.provider))
  for (const capability of requested) {
    const provider = catalog.byCapability(capability)
    if (!provider) {
      decision.denials.push({capability, code: 'unknown-capability', reason: `no provider in the catalog offers ${capability}`, fix: 'codex-vault provider list'})
      continue
    }
    if (killed.has(provider.id)) {
      decision.denials.push({capability, code: 'provider-killed', reason: `provider ${provider.id} was stopped with the kill switch`, fix: approveCommand(asset.name, capability)})
      continue
    }
    const {grant, reason, ended} = findGrant(body, asset.name, capability, request.now, provider.id)
    if (!grant) {
      decision.denials.push({capability, code: 'no-grant', reason: `${reason} for ${asset.name} -> ${capability}`, fix: approveCommand(asset.name, capability), ...(ended ? {grant: ended} : {})})
      continue
    }
    const secrets: SecretRecord[] = body.secrets.filter((record) => record.provider === provider.id)
    if (secrets.length === 0) {
      decision.denials.push({capability, code: 'no-secret', reason: `no ${provider.id} key is stored`, fix: `codex-vault secret set ${provider.id}`})
      continue
    }
    const inject = secrets.map((record) => ({env: record.env, secretId: record.id, fingerprint: record.fp, credentialFile: Boolean(provider.credentialFile)}))
    // The app may read another of the provider's names (GOOGLE_API_KEY for a key stored as GEMINI_API_KEY):
    // with one stored key there is no ambiguity, so it is injected under the names the scan saw too.
    if (secrets.length === 1) {
      const seen = asset.capabilities.find((item) => item.capability === capability)?.env ?? []
      for (const env of seen) if (provider.env.includes(env) && env !== secrets[0].env) inject.push({...inject[0], env})
    }
    decision.allowed.push({capability, provider: provider.id, grant: {id: grant.id, expires: grant.expires, usesLeft: grant.usesLeft}, inject})
  }
  return decision
}
