/**
 * provider add / remove on an in-memory vault (test/registry/fixtures fakeVault) with real provider
 * files in a temp folder: a built-in id is refused unless replaced on purpose, what a replacement
 * changes is reported and audited, and removal refuses providers still in use.
 */
import {expect} from 'chai'

import {VaultError} from '../../src/cli/errors.js'
import {addProviders, listProviders, removeProvider} from '../../src/secrets/providers/manage.js'
import type {SecretRecord} from '../../src/secrets/vault-schema.js'
import {T0, asset, body, fakeVault, grant, tempTree} from '../registry/fixtures.js'

const ACME = {id: 'acme', name: 'Acme AI', capabilities: ['ai.acme.inference', 'ai.acme.files'], env: ['ACME_API_KEY']}
const GATEWAY_OPENAI = {
  id: 'openai', name: 'OpenAI via the corporate gateway', capabilities: ['ai.openai.inference'], env: ['OPENAI_API_KEY'],
  mediate: {baseUrlEnv: 'OPENAI_BASE_URL', upstream: 'http://127.0.0.1:18555/capture'},
}

function secret(provider: string, env: string): SecretRecord {
  return {id: `s_${provider}_${env}`, provider, env, version: 1, nonce: 'bm9uY2U', ct: 'Y3Q', fp: 'fp', length: 40, created: T0.toISOString()}
}

async function rejects(promise: Promise<unknown>, code = 'INVALID_INPUT'): Promise<VaultError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(VaultError)
    expect((error as VaultError).code).to.equal(code)
    expect((error as VaultError).exitCode).to.equal(2)
    return error as VaultError
  }
  throw new Error('expected a rejection')
}

describe('provider add', () => {
  let files: ReturnType<typeof tempTree>
  beforeEach(() => {
    files = tempTree({
      'acme.json': JSON.stringify(ACME),
      'acme-v2.json': JSON.stringify({...ACME, name: 'Acme AI v2'}),
      'openai.json': JSON.stringify(GATEWAY_OPENAI),
      'mixed.json': JSON.stringify([ACME, {...GATEWAY_OPENAI}, {id: 'anthropic', name: 'A', capabilities: ['ai.anthropic.inference'], env: ['ANTHROPIC_API_KEY']}]),
    })
  })
  afterEach(() => files.cleanup())
  const file = (name: string) => `${files.dir}/${name}`

  it('refuses a provider with a built-in id, saying why and what to do; nothing changes', async () => {
    const fake = fakeVault()
    const error = await rejects(addProviders(fake.vault, file('openai.json')))
    expect(error.message).to.equal('provider file: "openai" is a built-in provider id; a user provider would replace the built-in definition (its upstream, env names, key formats and detection), so it is refused')
    expect(error.suggestions[0]).to.include('"openai-gateway"').and.include('<domain>.openai-gateway.<action>')
    expect(error.suggestions[1]).to.include('--replace-builtin')
    const both = await rejects(addProviders(fake.vault, file('mixed.json')))
    expect(both.message).to.match(/^provider file: "openai", "anthropic" are built-in provider ids/)
    expect(both.details).to.deep.equal({builtin: ['openai', 'anthropic']})
    expect(fake.body.providers).to.deep.equal([])
    expect(fake.events).to.deep.equal([])
  })

  it('says added for a new id and replaced for an existing user provider', async () => {
    const fake = fakeVault()
    expect(await addProviders(fake.vault, file('acme.json'))).to.deep.equal({added: ['acme'], replaced: [], builtinReplaced: []})
    expect(await addProviders(fake.vault, file('acme-v2.json'))).to.deep.equal({added: [], replaced: ['acme'], builtinReplaced: []})
    expect(fake.body.providers.map((p) => p.name)).to.deep.equal(['Acme AI v2'])
    expect(fake.events.map((e) => e.data)).to.deep.equal([
      {file: file('acme.json'), added: ['acme'], replaced: []},
      {file: file('acme-v2.json'), added: [], replaced: ['acme']},
    ])
  })

  it('with replaceBuiltin: says replaced, reports and audits the old and new upstream and the key formats scan loses', async () => {
    const fake = fakeVault()
    const result = await addProviders(fake.vault, file('openai.json'), {replaceBuiltin: true})
    expect(result.added).to.deep.equal([])
    expect(result.replaced).to.deep.equal(['openai'])
    expect(result.builtinReplaced).to.deep.equal([{
      id: 'openai', upstream: {from: 'https://api.openai.com/v1', to: 'http://127.0.0.1:18555/capture'},
      keyFormatsDropped: ['openai-api-key', 'openai-legacy-api-key', 'openai-admin-key'], capabilitiesDropped: ['ai.openai.files', 'ai.openai.admin'],
    }])
    expect(fake.events).to.deep.equal([{type: 'provider.add', outcome: 'ok', data: {
      file: file('openai.json'), added: [], replaced: ['openai'], builtinReplaced: ['openai'],
      upstreams: ['openai: https://api.openai.com/v1 -> http://127.0.0.1:18555/capture'],
      keyFormatsDropped: ['openai:openai-api-key', 'openai:openai-legacy-api-key', 'openai:openai-admin-key'],
    }}])
    const listed = (await listProviders(fake.vault)).find((p) => p.id === 'openai')!
    expect(listed).to.deep.include({source: 'user', replacesBuiltin: true, name: 'OpenAI via the corporate gateway'})
    expect((await listProviders(fake.vault)).find((p) => p.id === 'anthropic')).to.deep.include({source: 'builtin', replacesBuiltin: false})

    // a second time: the upstream it replaces is the user's own
    const again = await addProviders(fake.vault, file('openai.json'), {replaceBuiltin: true})
    expect(again.builtinReplaced[0].upstream).to.deep.equal({from: 'http://127.0.0.1:18555/capture', to: 'http://127.0.0.1:18555/capture'})
  })
})

describe('provider remove', () => {
  const withAcme = (parts: Parameters<typeof body>[0] = {}) => fakeVault(body({providers: [{...ACME, keyFormats: [], detect: {npm: [], pypi: [], go: [], cargo: [], gem: [], composer: [], imports: [], constructors: [], keywords: []}, baseUrls: []}], ...parts}))

  it('refuses built-in and unknown providers', async () => {
    const fake = withAcme()
    const builtin = await rejects(removeProvider(fake.vault, {id: 'openai', now: T0}))
    expect(builtin.message).to.equal('openai is a built-in provider; only user-defined providers can be removed')
    expect(builtin.suggestions).to.deep.equal(['to stop its keys from being used, run `codex-vault kill --provider openai`'])
    const unknown = await rejects(removeProvider(fake.vault, {id: 'nope', now: T0}))
    expect(unknown.message).to.match(/^unknown provider "nope"; known providers: .*acme/)
    expect(fake.events).to.deep.equal([])
  })

  it('refuses a provider that stored secrets or bound assets still use, naming them', async () => {
    const fake = withAcme({
      secrets: [secret('acme', 'ACME_API_KEY'), secret('openai', 'OPENAI_API_KEY')],
      assets: [
        asset('shop', [{capability: 'ai.acme.inference', provider: 'acme'}]),
        asset('blog', [], {overrides: {include: ['ai.acme.files'], exclude: []}}),
        asset('docs', [{capability: 'ai.acme.inference', provider: 'acme', confidence: 'mentioned'}]),
        asset('quiet', [{capability: 'ai.acme.inference', provider: 'acme'}], {overrides: {include: [], exclude: ['ai.acme.*']}}),
      ],
    })
    const error = await rejects(removeProvider(fake.vault, {id: 'acme', now: T0}))
    expect(error.message).to.equal('provider acme is still in use: stored secret(s) acme/ACME_API_KEY; asset(s) shop (ai.acme.inference), blog (ai.acme.files)')
    expect(error.suggestions[0]).to.equal('remove its secrets first: codex-vault secret remove acme [--env NAME]')
    expect(fake.body.providers.map((p) => p.id)).to.deep.equal(['acme'])
    expect(fake.events).to.deep.equal([])
  })

  it('removes an unused provider, revokes exact grants for its capabilities, and audits it', async () => {
    const fake = withAcme({grants: [grant('shop', 'ai.acme.inference'), grant('shop', 'ai.*.inference'), grant('shop', 'ai.openai.inference')]})
    expect(await removeProvider(fake.vault, {id: 'acme', now: T0})).to.deep.equal({id: 'acme', restoredBuiltin: false, grantsRevoked: 1})
    expect(fake.body.providers).to.deep.equal([])
    expect(fake.body.grants.map((g) => [g.capability, g.revoked, g.revokedReason])).to.deep.equal([
      ['ai.acme.inference', T0.toISOString(), 'provider acme removed'], ['ai.*.inference', null, undefined], ['ai.openai.inference', null, undefined],
    ])
    expect(fake.events).to.deep.equal([{type: 'provider.remove', outcome: 'ok', provider: 'acme', data: {
      restoredBuiltin: false, grantsRevoked: 1, capabilities: ['ai.acme.inference', 'ai.acme.files'],
    }}])
    expect((await fake.vault.catalog()).get('acme')).to.equal(undefined)
  })

  it('removing a replacement of a built-in brings the built-in back; what the built-in also has does not block it', async () => {
    const files = tempTree({'openai.json': JSON.stringify({...GATEWAY_OPENAI, capabilities: ['ai.openai.inference', 'ai.openai.batch']})})
    try {
      const fake = fakeVault(body({secrets: [secret('openai', 'OPENAI_API_KEY')], assets: [asset('shop', [{capability: 'ai.openai.inference', provider: 'openai'}])]}))
      await addProviders(fake.vault, `${files.dir}/openai.json`, {replaceBuiltin: true})
      fake.body.assets.push(asset('batch', [{capability: 'ai.openai.batch', provider: 'openai'}]))
      const inUse = await rejects(removeProvider(fake.vault, {id: 'openai', now: T0}))
      expect(inUse.message).to.equal('provider openai is still in use: asset(s) batch (ai.openai.batch)')
      fake.body.assets.pop()
      expect(await removeProvider(fake.vault, {id: 'openai', now: T0})).to.deep.equal({id: 'openai', restoredBuiltin: true, grantsRevoked: 0})
      expect(fake.events.at(-1)).to.deep.equal({type: 'provider.remove', outcome: 'ok', provider: 'openai', data: {
        restoredBuiltin: true, grantsRevoked: 0, capabilities: ['ai.openai.batch'], upstream: 'http://127.0.0.1:18555/capture -> https://api.openai.com/v1',
      }})
      const openai = (await fake.vault.catalog()).get('openai')!
      expect(openai.name).to.equal('OpenAI')
      expect(openai.keyFormats.map((f) => f.id)).to.include('openai-api-key')
    } finally {
      files.cleanup()
    }
  })
})
