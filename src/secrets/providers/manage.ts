/** `provider list` and `provider add FILE`: the catalog as users see and extend it. */
import {readFileSync} from 'node:fs'

import type {AuthenticatedVault} from '../../cli/context.js'
import {VaultError} from '../../cli/errors.js'
import {parseProviderFile} from './provider-file.js'
import type {Provider} from './schema.js'

export interface ProviderSummary {
  id: string
  name: string
  source: 'builtin' | 'user'
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
    capabilities: provider.capabilities, env: provider.env, keyFormats: provider.keyFormats.map((format) => format.id), killed: killed.has(provider.id),
  }))
}

export async function addProviders(vault: AuthenticatedVault, file: string): Promise<{added: string[]; replaced: string[]}> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new VaultError('INVALID_INPUT', `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  const providers: Provider[] = parseProviderFile(text)
  return vault.transact((body) => {
    const added: string[] = []
    const replaced: string[] = []
    for (const provider of providers) {
      const index = body.providers.findIndex((existing) => existing.id === provider.id)
      if (index >= 0) {
        body.providers[index] = provider
        replaced.push(provider.id)
      } else {
        body.providers.push(provider)
        added.push(provider.id)
      }
    }
    return {result: {added, replaced}, events: [{type: 'provider.add', outcome: 'ok', data: {file, added, replaced}}]}
  })
}
