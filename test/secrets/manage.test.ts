/**
 * provider add on an in-memory vault (test/registry/fixtures fakeVault) with real provider files
 * in a temp folder: a built-in id is refused unless replaced on purpose, and what a replacement
 * changes is reported and audited.
 */
import {expect} from 'chai'

import {VaultError} from '../../src/cli/errors.js'
import {addProviders, listProviders} from '../../src/secrets/providers/manage.js'
import {fakeVault, tempTree} from '../registry/fixtures.js'

const ACME = {id: 'acme', name: 'Acme AI', capabilities: ['ai.acme.inference', 'ai.acme.files'], env: ['ACME_API_KEY']}
const GATEWAY_OPENAI = {
  id: 'openai', name: 'OpenAI via the corporate gateway', capabilities: ['ai.openai.inference'], env: ['OPENAI_API_KEY'],
  mediate: {baseUrlEnv: 'OPENAI_BASE_URL', upstream: 'http://127.0.0.1:18555/capture'},
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
