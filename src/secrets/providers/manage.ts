/** `provider list`, `provider add FILE` and `provider remove ID`: the catalog as users see and extend it. */
import {readFileSync} from 'node:fs'

import type {AuditData} from '../../audit/events.js'
import type {AuthenticatedVault} from '../../cli/context.js'
import {VaultError, usageError} from '../../cli/errors.js'
import {boundCapabilities} from '../../registry/assets.js'
import type {VaultBody} from '../vault-schema.js'
import {builtinProvider} from './catalog.js'
import {parseProviderFile} from './provider-file.js'
import type {Provider} from './schema.js'

export interface ProviderSummary {
  id: string
  name: string
  source: 'builtin' | 'user'
  /** a user definition in place of the built-in with the same id (`provider add --replace-builtin`) */
  replacesBuiltin: boolean
  capabilities: string[]
  env: string[]
  keyFormats: string[]
  killed: boolean
}

export async function listProviders(vault: AuthenticatedVault): Promise<ProviderSummary[]> {
  const catalog = await vault.catalog()
  const killed = new Set(vault.body.killedProviders.map((entry) => entry.provider))
  return catalog.providers.map((provider) => ({
    id: provider.id, name: provider.name, source: catalog.userDefined.has(provider.id) ? 'user' : 'builtin',
    replacesBuiltin: catalog.userDefined.has(provider.id) && builtinProvider(provider.id) !== undefined,
    capabilities: provider.capabilities, env: provider.env, keyFormats: provider.keyFormats.map((format) => format.id), killed: killed.has(provider.id),
  }))
}

/** What replacing a built-in definition changes, for the warning and the audit record. */
export interface BuiltinReplacement {
  id: string
  /** where `run --mediate` sends this provider's key, before and after (null: not mediated) */
  upstream: {from: string | null; to: string | null}
  /** built-in key formats the new definition lacks: scan no longer reports such keys as leaks */
  keyFormatsDropped: string[]
  /** built-in capabilities the new definition lacks */
  capabilitiesDropped: string[]
}

export interface ProviderAddResult {
  /** ids new to the catalog */
  added: string[]
  /** ids whose earlier definition (user-defined, or built in with --replace-builtin) the file replaced */
  replaced: string[]
  builtinReplaced: BuiltinReplacement[]
}

export interface AddProvidersOptions {
  /** allow a definition with a built-in id to replace the built-in one (a corporate gateway, say) */
  replaceBuiltin?: boolean
}

function builtinRefusal(ids: string[]): VaultError {
  const quoted = ids.map((id) => `"${id}"`).join(', ')
  const example = `${ids[0]}-gateway`
  return new VaultError('INVALID_INPUT', `provider file: ${quoted} ${ids.length === 1 ? 'is a built-in provider id' : 'are built-in provider ids'}; `
    + 'a user provider would replace the built-in definition (its upstream, env names, key formats and detection), so it is refused', {
    details: {builtin: ids},
    suggestions: [
      `give your provider an id of its own, e.g. "${example}", with capabilities named <domain>.${example}.<action>`,
      'to replace a built-in definition on purpose (a corporate gateway, say), run `codex-vault provider add FILE --replace-builtin`',
    ],
  })
}

function describeReplacement(before: Provider, builtin: Provider, after: Provider): BuiltinReplacement {
  const formats = new Set(after.keyFormats.map((format) => format.id))
  return {
    id: after.id,
    upstream: {from: before.mediate?.upstream ?? null, to: after.mediate?.upstream ?? null},
    keyFormatsDropped: builtin.keyFormats.map((format) => format.id).filter((id) => !formats.has(id)),
    capabilitiesDropped: builtin.capabilities.filter((capability) => !after.capabilities.includes(capability)),
  }
}

export async function addProviders(vault: AuthenticatedVault, file: string, options: AddProvidersOptions = {}): Promise<ProviderAddResult> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new VaultError('INVALID_INPUT', `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {suggestions: ['give the path of a JSON provider file (one provider or a list); see codex-vault provider add --help']})
  }
  const providers: Provider[] = parseProviderFile(text)
  const builtinIds = providers.filter((provider) => builtinProvider(provider.id) !== undefined).map((provider) => provider.id)
  // a silent replacement sent the real key to the file's upstream and dropped the built-in leak rules
  if (builtinIds.length > 0 && !options.replaceBuiltin) throw builtinRefusal(builtinIds)
  return vault.transact((body) => {
    const added: string[] = []
    const replaced: string[] = []
    const builtinReplaced: BuiltinReplacement[] = []
    for (const provider of providers) {
      const index = body.providers.findIndex((existing) => existing.id === provider.id)
      const builtin = builtinProvider(provider.id)
      if (builtin) builtinReplaced.push(describeReplacement(index >= 0 ? body.providers[index] : builtin, builtin, provider))
      if (index >= 0) body.providers[index] = provider
      else body.providers.push(provider)
      if (index >= 0 || builtin) replaced.push(provider.id)
      else added.push(provider.id)
    }
    const data: AuditData = {file, added, replaced}
    if (builtinReplaced.length > 0) {
      // the audit names where the key goes now: a replaced built-in is the one change here that can send it elsewhere
      const shown = (url: string | null) => url ?? '(not mediated)'
      data.builtinReplaced = builtinReplaced.map((item) => item.id)
      data.upstreams = builtinReplaced.map((item) => `${item.id}: ${shown(item.upstream.from)} -> ${shown(item.upstream.to)}`)
      data.keyFormatsDropped = builtinReplaced.flatMap((item) => item.keyFormatsDropped.map((format) => `${item.id}:${format}`))
    }
    return {result: {added, replaced, builtinReplaced}, events: [{type: 'provider.add', outcome: 'ok', data}]}
  })
}

export interface ProviderRemoval {
  id: string
  /** the removed definition had replaced a built-in one, which is back in the catalog */
  restoredBuiltin: boolean
  /** exact grants for capabilities that left the catalog, revoked so that a later provider with the same id does not inherit them */
  grantsRevoked: number
}

/** Who still relies on what a removal would take out of the catalog; empty when nothing does. */
function usesOf(body: VaultBody, id: string, capabilities: string[], envNames: string[]): string[] {
  const uses: string[] = []
  const secrets = body.secrets.filter((secret) => secret.provider === id && envNames.includes(secret.env))
  if (secrets.length > 0) uses.push(`stored secret(s) ${secrets.map((secret) => `${id}/${secret.env}`).join(', ')}`)
  const assets = body.assets
    .map((asset) => ({name: asset.name, bound: boundCapabilities(asset).filter((capability) => capabilities.includes(capability))}))
    .filter((asset) => asset.bound.length > 0)
  if (assets.length > 0) uses.push(`asset(s) ${assets.map((asset) => `${asset.name} (${asset.bound.join(', ')})`).join(', ')}`)
  return uses
}

export async function removeProvider(vault: AuthenticatedVault, options: {id: string; now: Date}): Promise<ProviderRemoval> {
  const {id} = options
  const catalog = await vault.catalog()
  const builtin = builtinProvider(id)
  if (!catalog.userDefined.has(id)) {
    if (builtin) {
      throw usageError(`${id} is a built-in provider; only user-defined providers can be removed`, [
        `to stop its keys from being used, run \`codex-vault kill --provider ${id}\``,
      ])
    }
    catalog.require(id) // unknown: names the known ids
  }
  return vault.transact((body) => {
    const index = body.providers.findIndex((provider) => provider.id === id)
    if (index < 0) throw usageError(`no user-defined provider "${id}" (another command removed it)`, ['see `codex-vault provider list`'])
    const removed = body.providers[index]
    // what leaves the catalog: all of it, or what the restored built-in does not have
    const capabilities = removed.capabilities.filter((capability) => !builtin?.capabilities.includes(capability))
    const envNames = [...removed.env, ...(removed.publicEnv ?? [])].filter((name) => !builtin?.env.includes(name) && !builtin?.publicEnv?.includes(name))
    const uses = usesOf(body, id, capabilities, envNames)
    if (uses.length > 0) {
      throw new VaultError('INVALID_INPUT', `provider ${id} is still in use: ${uses.join('; ')}`, {
        details: {uses},
        suggestions: [
          `remove its secrets first: codex-vault secret remove ${id} [--env NAME]`,
          'stop the assets using it: codex-vault bind PATH --name ASSET --exclude-capability CAPABILITY, or codex-vault asset remove ASSET',
        ],
      })
    }
    body.providers.splice(index, 1)
    const now = options.now.toISOString()
    let grantsRevoked = 0
    for (const grant of body.grants) {
      if (grant.revoked === null && capabilities.includes(grant.capability)) {
        grant.revoked = now
        grant.revokedReason = `provider ${id} removed`
        grantsRevoked++
      }
    }
    const data: AuditData = {restoredBuiltin: builtin !== undefined, grantsRevoked, capabilities}
    if (builtin && removed.mediate?.upstream !== builtin.mediate?.upstream) {
      data.upstream = `${removed.mediate?.upstream ?? '(not mediated)'} -> ${builtin.mediate?.upstream ?? '(not mediated)'}`
    }
    return {result: {id, restoredBuiltin: builtin !== undefined, grantsRevoked}, events: [{type: 'provider.remove', outcome: 'ok', provider: id, data}]}
  })
}
