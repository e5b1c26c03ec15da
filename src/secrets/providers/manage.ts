/** `provider list` and `provider add FILE`: the catalog as users see and extend it. */
import {readFileSync} from 'node:fs'

import type {AuditData} from '../../audit/events.js'
import type {AuthenticatedVault} from '../../cli/context.js'
import {VaultError} from '../../cli/errors.js'
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
    throw new VaultError('INVALID_INPUT', `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
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
