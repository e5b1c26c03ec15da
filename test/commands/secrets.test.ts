/**
 * secret and provider commands in-process with @oclif/test's runCommand: the paths that need no
 * stdin (stdin belongs to mocha): values on argv refused, missing secrets, provider file
 * validation with the catalog unchanged. Stdin-fed values are covered in test/e2e/secrets*.test.ts.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {type CliHome, assertNoCanary, randomCanary} from '../helpers/cli.js'
import {cv, generationOf, homeWithSession} from '../helpers/in-process.js'


const PROVIDER = {
  id: 'acme-ai',
  name: 'Acme AI',
  capabilities: ['ai.acme-ai.inference'],
  env: ['ACME_API_KEY'],
  keyFormats: [{id: 'acme-api-key', pattern: 'acme_[a-f0-9]{32}', keywords: ['acme_']}],
}

describe('secret and provider commands (in-process)', function () {
  this.timeout(60_000)
  let home: CliHome
  let session: string

  before(async function () {
    this.timeout(120_000) // the first runCommand loads oclif and compiles the commands
    ;({home, session} = await homeWithSession('cv-cmd-secrets-'))
  })

  after(() => home.cleanup())

  it('secret set / rotate with the value as an argument: exit 2, not echoed, nothing stored', async () => {
    const before = generationOf(home)
    for (const args of [['secret', 'set', 'openai'], ['secret', 'set', 'mistral', '--force'], ['secret', 'rotate', 'openai']]) {
      const value = `sk-${randomCanary()}`
      const result = await cv([...args, value, '--json'], home, {session})
      expect(result.code, result.stderr).to.equal(2)
      expect(result.json.error.code).to.equal('USAGE')
      expect(result.json.error.message).to.match(/takes no value argument.*nothing was stored/)
      assertNoCanary(result.stdout + result.stderr, [value], `${args.join(' ')} output`)
    }
    expect(generationOf(home)).to.equal(before)
    const list = await cv(['secret', 'list', '--json'], home, {session})
    expect(list.json.result.secrets).to.deep.equal([])
    const human = await cv(['secret', 'list'], home, {session})
    expect(human.stdout).to.include('no secrets stored')
  })

  it('remove and rotate of a missing secret: exit 2 saying what to run', async () => {
    const remove = await cv(['secret', 'remove', 'anthropic', '--json'], home, {session})
    expect(remove.code).to.equal(2)
    expect(remove.json.error).to.include({code: 'INVALID_INPUT', message: 'no anthropic secret in the vault'})
    expect(remove.json.error.suggestions).to.include('store one: codex-vault secret set anthropic')
    const withEnv = await cv(['secret', 'remove', 'aws', '--env=AWS_SECRET_ACCESS_KEY'], home, {session})
    expect(withEnv.code).to.equal(2)
    expect(withEnv.stderr).to.include('no aws secret stored as AWS_SECRET_ACCESS_KEY in the vault')
  })

  it('provider add: invalid files exit 2 naming the field, the catalog unchanged; a valid one is listed', async () => {
    const before = await cv(['provider', 'list', '--json'], home, {session})
    expect(before.code).to.equal(0)
    const generation = generationOf(home)
    const cases: Array<[unknown, RegExp]> = [
      [{...PROVIDER, token: 'x'}, /provider file: token: unknown field/],
      [{...PROVIDER, detect: {npm: [], pip: ['acme']}}, /detect\.pip: unknown field/],
      [{...PROVIDER, keyFormats: [{...PROVIDER.keyFormats[0], pattern: '(unclosed'}]}, /keyFormats\[0\]\.pattern: not a valid regular expression/],
      [{...PROVIDER, keyFormats: [{...PROVIDER.keyFormats[0], pattern: 'a**'}]}, /keyFormats\[0\]\.pattern: not a valid regular expression/],
      [{...PROVIDER, capabilities: ['inference']}, /capabilities\[0\]: must be <domain>\.<provider>\.<action>/],
      [{...PROVIDER, capabilities: ['ai.acme-ai.inference.extra']}, /capabilities\[0\]: must be <domain>\.<provider>\.<action>/],
      [{...PROVIDER, capabilities: ['ai.acme.inference']}, /capabilities\[0\]: must name this provider/],
      [{...PROVIDER, capabilities: []}, /capabilities/],
      [{...PROVIDER, env: ['acme_api_key']}, /env\[0\]: must match/],
      [{...PROVIDER, id: 'Acme'}, /id: must be lowercase/],
      [[PROVIDER, {...PROVIDER, capabilities: ['ai.acme-ai.x']}], /\[1\]\.id: duplicate provider id "acme-ai"/],
      [[], /the list is empty/],
      ['"acme"', /must hold one provider object or a list/],
    ]
    for (const [index, [content, expected]] of cases.entries()) {
      const file = join(home.dir, `bad-${index}.json`)
      writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
      const result = await cv(['provider', 'add', file, '--json'], home, {session})
      expect(result.code, `case ${index}: ${result.stdout}`).to.equal(2)
      expect(result.json.error.code).to.equal('INVALID_INPUT')
      expect(result.json.error.message, `case ${index}`).to.match(expected)
    }
    expect((await cv(['provider', 'list', '--json'], home, {session})).stdout).to.equal(before.stdout)
    expect(generationOf(home)).to.equal(generation)

    const file = join(home.dir, 'acme.json')
    writeFileSync(file, JSON.stringify([PROVIDER]))
    const added = await cv(['provider', 'add', file, '--json'], home, {session})
    expect(added.code, added.stdout).to.equal(0)
    expect(added.json.result).to.deep.equal({added: ['acme-ai'], replaced: [], builtinReplaced: []})
    expect(generationOf(home)).to.equal(generation + 1)
    const after = await cv(['provider', 'list', '--json'], home, {session})
    const providers = after.json.result.providers
    expect(providers).to.have.length(before.json.result.providers.length + 1)
    expect(providers.at(-1)).to.deep.equal({
      id: 'acme-ai', name: 'Acme AI', source: 'user', replacesBuiltin: false, capabilities: ['ai.acme-ai.inference'], env: ['ACME_API_KEY'], keyFormats: ['acme-api-key'], killed: false,
    })
  })
})
