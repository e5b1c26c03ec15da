/**
 * `provider add FILE` / `provider list` end to end (built binary): invalid provider files are
 * refused (exit 2) naming the field and leave the catalog unchanged; a valid one adds a provider
 * that `provider list` shows and `secret set` checks values against.
 */
import {randomBytes} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {parseVaultFile} from '../../src/secrets/vault-header.js'
import {
  type CliHome, type CliOptions, type CliResult, assertNoCanary, explain, hasStackTrace, initVault, makeHome, randomCanary, runCli, unlock,
} from '../helpers/cli.js'

const generationOf = (home: CliHome) => parseVaultFile(readFileSync(home.vault)).header.generation

const VALID = {
  id: 'acme-ai',
  name: 'Acme AI',
  capabilities: ['ai.acme-ai.inference'],
  env: ['ACME_API_KEY'],
  keyFormats: [{id: 'acme-api-key', pattern: 'acme_[a-f0-9]{32}', keywords: ['acme_'], description: 'acme_… (37 characters)'}],
  detect: {npm: ['@acme/ai'], imports: ['@acme/ai'], keywords: ['acme']},
  baseUrls: ['https://api.acme.example/v1'],
}

const acmeKey = () => `acme_${randomBytes(16).toString('hex')}`

describe('provider catalog end to end', function () {
  this.timeout(300_000)
  let home: CliHome
  let token: string
  const secrets: string[] = []
  const outputs: string[] = []

  async function cv(args: string[], options: CliOptions = {}): Promise<CliResult> {
    const result = await runCli(args, {home, timeoutMs: 120_000, ...options, env: {CODEX_VAULT_SESSION: token, ...options.env}})
    outputs.push(result.stdout, result.stderr)
    expect(result.timedOut, explain(result)).to.equal(false)
    expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
    return result
  }

  function providerFile(name: string, content: unknown): string {
    const path = join(home.dir, name)
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2))
    return path
  }

  before(async () => {
    home = makeHome('cv-e2e-provider-')
    token = await unlock(home, await initVault(home))
  })

  after(() => home.cleanup())

  it('invalid provider files: exit 2 naming the field; provider list --json unchanged', async () => {
    const before = await cv(['provider', 'list', '--json'])
    expect(before.code, explain(before)).to.equal(0)
    const providers = JSON.parse(before.stdout).result.providers
    expect(providers.every((p: any) => p.source === 'builtin')).to.equal(true)
    expect(providers.map((p: any) => p.id)).to.include.members(['openai', 'anthropic', 'mistral', 'cohere'])
    const generation = generationOf(home)

    const cases: Array<[string, unknown, RegExp]> = [
      ['unknown-field.json', {...VALID, secretValue: 'x'}, /secretValue: unknown field/],
      ['unknown-nested.json', {...VALID, keyFormats: [{...VALID.keyFormats[0], flags: 'i'}]}, /keyFormats\[0\]\.flags: unknown field/],
      ['bad-regex.json', {...VALID, keyFormats: [{...VALID.keyFormats[0], pattern: 'acme_[a-f0-9{32'}]}, /keyFormats\[0\]\.pattern: not a valid regular expression/],
      ['empty-regex.json', {...VALID, keyFormats: [{...VALID.keyFormats[0], pattern: '(acme_)?'}]}, /keyFormats\[0\]\.pattern: pattern matches the empty string/],
      ['two-segments.json', {...VALID, capabilities: ['ai.inference']}, /capabilities\[0\]: must be <domain>\.<provider>\.<action>/],
      ['upper-case.json', {...VALID, capabilities: ['ai.acme-ai.inference', 'AI.acme-ai.Admin']}, /capabilities\[1\]: must be <domain>\.<provider>\.<action>/],
      ['wildcard.json', {...VALID, capabilities: ['ai.*.inference']}, /capabilities\[0\]: must be <domain>\.<provider>\.<action>/],
      ['other-provider.json', {...VALID, capabilities: ['ai.openai.inference']}, /capabilities\[0\]: must name this provider: <domain>\.acme-ai\.<action>/],
      ['list.json', [VALID, {...VALID, id: 'acme-two', capabilities: ['ai.acme-two.inference'], extra: 1}], /\[1\]\.extra: unknown field/],
      ['not-json.json', '{"id": "acme-ai",', /not valid JSON/],
    ]
    const results = await Promise.all(cases.map(([name, content]) => cv(['provider', 'add', providerFile(name, content)])))
    results.forEach((result, i) => {
      expect(result.code, `${cases[i][0]}: ${explain(result)}`).to.equal(2)
      expect(result.stderr, cases[i][0]).to.match(cases[i][2])
    })
    const json = await cv(['provider', 'add', join(home.dir, 'unknown-field.json'), '--json'])
    expect(json.code, explain(json)).to.equal(2)
    const error = JSON.parse(json.stdout).error
    expect(error.code).to.equal('INVALID_INPUT')
    expect(error.message).to.match(/secretValue: unknown field/)

    const missing = await cv(['provider', 'add', join(home.dir, 'no-such-file.json')])
    expect(missing.code, explain(missing)).to.equal(2)
    expect(missing.stderr).to.match(/cannot read .*no-such-file\.json \(ENOENT\)/)

    const after = await cv(['provider', 'list', '--json'])
    expect(after.stdout).to.equal(before.stdout)
    expect(generationOf(home)).to.equal(generation)
  })

  it('a valid provider file adds a provider that provider list shows and secret set checks values against', async () => {
    const added = await cv(['provider', 'add', providerFile('acme.json', VALID)])
    expect(added.code, explain(added)).to.equal(0)
    expect(added.stdout).to.include('added acme-ai')

    const [table, json] = await Promise.all([cv(['provider', 'list']), cv(['provider', 'list', '--json'])])
    expect(table.code, explain(table)).to.equal(0)
    expect(table.stdout).to.match(/acme-ai\s+Acme AI\s+user\s+ai\.acme-ai\.inference\s+ACME_API_KEY/)
    const acme = JSON.parse(json.stdout).result.providers.find((p: any) => p.id === 'acme-ai')
    expect(acme).to.deep.equal({
      id: 'acme-ai', name: 'Acme AI', source: 'user', replacesBuiltin: false, capabilities: ['ai.acme-ai.inference'], env: ['ACME_API_KEY'], keyFormats: ['acme-api-key'], killed: false,
    })

    const wrong = randomCanary()
    const key = acmeKey()
    secrets.push(wrong, key)
    const refused = await cv(['secret', 'set', 'acme-ai'], {input: `${wrong}\n`})
    expect(refused.code, explain(refused)).to.equal(2)
    expect(refused.stderr).to.include('does not match the Acme AI key format for ACME_API_KEY (expected acme_… (37 characters))')
    const stored = await cv(['secret', 'set', 'acme-ai'], {input: `${key}\n`})
    expect(stored.code, explain(stored)).to.equal(0)
    expect(stored.stdout).to.match(/stored acme-ai as ACME_API_KEY \(version 1, fingerprint fp:[0-9a-f]{32}\)/)
    const list = await cv(['secret', 'list', '--json'])
    expect(JSON.parse(list.stdout).result.secrets.map((s: any) => `${s.provider}/${s.env}`)).to.deep.equal(['acme-ai/ACME_API_KEY'])

    // the same file again replaces it; a changed definition takes effect
    const replaced = await cv(['provider', 'add', providerFile('acme2.json', {...VALID, name: 'Acme AI v2'})])
    expect(replaced.code, explain(replaced)).to.equal(0)
    expect(replaced.stdout).to.include('replaced acme-ai')
    const after = JSON.parse((await cv(['provider', 'list', '--json'])).stdout).result.providers
    expect(after.filter((p: any) => p.id === 'acme-ai').map((p: any) => p.name)).to.deep.equal(['Acme AI v2'])

    assertNoCanary(outputs.join('\n'), secrets, 'command output')
  })
})
