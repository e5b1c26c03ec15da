/**
 * provider add / remove end to end (built binary): a file with a built-in id is refused (exit 2)
 * and the built-in keeps its upstream and leak rules; --replace-builtin replaces it loudly and
 * audited, `provider remove` brings it back; env names run would refuse and patterns that could
 * hang scan are refused at add; a provider still in use cannot be removed.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {type CliHome, type CliResult, assertNoCanary, explain, hasStackTrace, initVault, makeHome, randomCanary, runCli, unlock} from '../helpers/cli.js'
import {openaiCanary} from '../permissions/e2e-fixture.js'

const CAPTURE = 'http://127.0.0.1:18555/capture'
const HIJACK = {
  id: 'openai', name: 'OpenAI', capabilities: ['ai.openai.inference'], env: ['OPENAI_API_KEY'],
  mediate: {baseUrlEnv: 'OPENAI_BASE_URL', upstream: CAPTURE},
}
const ACME = {id: 'acme', name: 'Acme AI', capabilities: ['ai.acme.inference'], env: ['ACME_API_KEY']}

describe('provider add / remove end to end', function () {
  this.timeout(300_000)
  let home: CliHome
  let token: string
  const secrets: string[] = []

  async function cv(args: string[], code: number, input?: string): Promise<CliResult> {
    const result = await runCli(args, {home, env: {CODEX_VAULT_SESSION: token}, input, timeoutMs: 120_000})
    expect(result.timedOut, explain(result)).to.equal(false)
    expect(result.code, `${args.join(' ')}\n${explain(result)}`).to.equal(code)
    expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
    assertNoCanary(result.stdout + result.stderr, secrets)
    return result
  }

  const json = async (args: string[], code = 0) => JSON.parse((await cv([...args, '--json'], code)).stdout)
  const providerOf = async (id: string) => (await json(['provider', 'list'])).result.providers.find((p: {id: string}) => p.id === id)

  function file(name: string, content: unknown): string {
    const path = join(home.dir, name)
    writeFileSync(path, JSON.stringify(content))
    return path
  }

  before(async () => {
    home = makeHome('cv-e2e-provider-manage-')
    token = await unlock(home, await initVault(home))
    secrets.push(token)
  })

  after(() => home?.cleanup())

  it('refuses a file that takes a built-in id: the built-in keeps its upstream and still finds hard-coded keys', async () => {
    const hijack = file('openai.json', HIJACK)
    const refused = await cv(['provider', 'add', hijack], 2)
    expect(refused.stdout).to.equal('')
    expect(refused.stderr).to.include('codex-vault: provider file: "openai" is a built-in provider id; a user provider would replace the built-in definition')
    expect(refused.stderr).to.include('give your provider an id of its own, e.g. "openai-gateway"')
    const error = (await json(['provider', 'add', hijack], 2)).error
    expect(error.code).to.equal('INVALID_INPUT')
    expect(error.suggestions).to.have.length(2)
    expect(await providerOf('openai')).to.deep.include({source: 'builtin', replacesBuiltin: false, keyFormats: ['openai-api-key', 'openai-legacy-api-key', 'openai-admin-key']})

    const key = openaiCanary()
    secrets.push(key)
    const app = join(home.dir, 'leaky')
    mkdirSync(app)
    writeFileSync(join(app, 'config.js'), `export const key = '${key}'\n`)
    const scan = await json(['scan', app])
    expect(scan.result.leaks.map((leak: {rule: string}) => leak.rule)).to.deep.equal(['openai-api-key'])
  })

  it('--replace-builtin replaces it with a warning naming the new upstream, audited; provider remove restores the built-in', async () => {
    const replaced = await cv(['provider', 'add', join(home.dir, 'openai.json'), '--replace-builtin'], 0)
    expect(replaced.stdout).to.equal('replaced openai\n')
    expect(replaced.stderr).to.include(`codex-vault: warning: openai: your definition replaces the built-in one; run --mediate sends its key to ${CAPTURE} instead of https://api.openai.com/v1; scan no longer reports openai-api-key, openai-legacy-api-key, openai-admin-key keys`)
    expect(replaced.stderr).to.include('Restore the built-in with `codex-vault provider remove openai`')
    const table = await cv(['provider', 'list'], 0)
    expect(table.stdout).to.match(/^openai\s+OpenAI\s+user \(replaces built-in\)\s+ai\.openai\.inference\s/m)
    const [added] = (await json(['audit', 'tail', '-n', '1', '--type', 'provider.add'])).result.records
    expect(added.data).to.deep.include({replaced: ['openai'], builtinReplaced: ['openai'], upstreams: [`openai: https://api.openai.com/v1 -> ${CAPTURE}`]})

    const removed = await json(['provider', 'remove', 'openai'])
    expect(removed).to.deep.equal({status: 0, result: {id: 'openai', restoredBuiltin: true, grantsRevoked: 0}, warnings: []})
    expect(await providerOf('openai')).to.deep.include({name: 'OpenAI', source: 'builtin', replacesBuiltin: false})
    const [record] = (await json(['audit', 'tail', '-n', '1', '--type', 'provider.remove'])).result.records
    expect(record).to.deep.include({provider: 'openai', outcome: 'ok'})
    expect(record.data).to.deep.include({restoredBuiltin: true, upstream: `${CAPTURE} -> https://api.openai.com/v1`})

    const builtin = await cv(['provider', 'remove', 'openai'], 2)
    expect(builtin.stderr).to.include('codex-vault: openai is a built-in provider; only user-defined providers can be removed')
    expect(builtin.stderr).to.include('codex-vault kill --provider openai')
  })

  it('refuses env names run would not inject and patterns that could hang scan, naming the field; nothing is added', async () => {
    const cases: [unknown, string][] = [
      [{...ACME, env: ['ACME_API_KEY', 'PATH']}, 'provider file: env[1]: refusing to inject PATH: it controls how programs start, connect or trust, not a provider key'],
      [{...ACME, publicEnv: ['NODE_OPTIONS']}, 'publicEnv[0]: refusing to inject NODE_OPTIONS'],
      [{...ACME, env: ['CODEX_VAULT_SESSION']}, 'env[0]: refusing to inject CODEX_VAULT_SESSION'],
      [{...ACME, keyFormats: [{id: 'acme-key', pattern: 'acme_(a+)+b', keywords: ['acme_']}]}, 'keyFormats[0].pattern: nested quantifier "(a+)+"'],
      [{...ACME, keyFormats: [{id: 'acme-key', pattern: 'acme_(x)\\1', keywords: ['acme_']}]}, 'keyFormats[0].pattern: backreference'],
    ]
    for (const [index, [content, message]] of cases.entries()) {
      const result = await cv(['provider', 'add', file(`bad-${index}.json`, content)], 2)
      expect(result.stderr, `case ${index}`).to.include(message)
    }
    expect(await providerOf('acme')).to.equal(undefined)
  })

  it('provider remove refuses a provider whose secrets are stored, then removes it once they are gone', async () => {
    expect((await cv(['provider', 'add', file('acme.json', ACME)], 0)).stdout).to.equal('added acme\n')
    const value = randomCanary()
    secrets.push(value)
    await cv(['secret', 'set', 'acme'], 0, value)
    const inUse = await json(['provider', 'remove', 'acme'], 2)
    expect(inUse.error).to.deep.include({code: 'INVALID_INPUT', message: 'provider acme is still in use: stored secret(s) acme/ACME_API_KEY'})
    expect(inUse.error.suggestions[0]).to.equal('remove its secrets first: codex-vault secret remove acme [--env NAME]')
    await cv(['secret', 'remove', 'acme'], 0)
    expect((await cv(['provider', 'remove', 'acme'], 0)).stdout).to.equal('removed provider acme\n')
    expect(await providerOf('acme')).to.equal(undefined)
    const unknown = await cv(['provider', 'remove', 'acme'], 2)
    expect(unknown.stderr).to.include('codex-vault: unknown provider "acme"')
  })
})
