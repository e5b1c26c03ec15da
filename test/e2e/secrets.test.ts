/**
 * Secrets end to end through the built binary (`npx tsc -b` first): set from stdin, refusal of
 * values on argv, format checks, list / rotate / remove, and a random canary that must never reach
 * stdout, stderr (DEBUG='*' included), the audit log, session files, the vault or any other file.
 */
import {randomBytes} from 'node:crypto'
import {chmodSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {parseVaultFile} from '../../src/secrets/vault-header.js'
import {
  type CliHome, type CliOptions, type CliResult, assertNoCanary, explain, hasStackTrace, initVault, makeHome, randomCanary, runCli, unlock,
} from '../helpers/cli.js'

const generationOf = (home: CliHome) => parseVaultFile(readFileSync(home.vault)).header.generation

/** Every regular file under `dir` (the vault folder, session files, temp files, everything). */
function filesUnder(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...filesUnder(path))
    else if (entry.isFile()) out.push(path)
  }
  return out
}

/** A random string of base64url characters (what Anthropic key bodies are made of). */
function b64url(length: number): string {
  let out = ''
  while (out.length < length) out += randomBytes(length).toString('base64url')
  return out.slice(0, length)
}

/** A value matching `sk-ant-api03-[A-Za-z0-9_-]{93}AA` (108 characters). */
const anthropicKey = () => `sk-ant-api03-${b64url(93)}AA`

describe('secrets end to end', function () {
  this.timeout(300_000)
  let home: CliHome
  let passphrase: string
  let token: string
  /** every value that must stay secret, whatever happened to it */
  const secrets: string[] = []
  /** every stdout + stderr seen */
  const outputs: string[] = []

  /** Run with the session; record the output; never a stack trace (unless DEBUG asks for one). */
  async function cv(args: string[], options: CliOptions & {debug?: boolean} = {}): Promise<CliResult> {
    const result = await runCli(args, {
      home, timeoutMs: 120_000, ...options, env: {CODEX_VAULT_SESSION: token, ...(options.debug ? {DEBUG: '*'} : {}), ...options.env},
    })
    outputs.push(result.stdout, result.stderr)
    expect(result.timedOut, explain(result)).to.equal(false)
    if (!options.debug) expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
    return result
  }

  async function listJson(): Promise<any[]> {
    const result = await cv(['secret', 'list', '--json'])
    expect(result.code, explain(result)).to.equal(0)
    return JSON.parse(result.stdout).result.secrets
  }

  before(async () => {
    home = makeHome('cv-e2e-secrets-')
    passphrase = await initVault(home)
    token = await unlock(home, passphrase)
  })

  after(() => home.cleanup())

  it('a value given as an argument is a usage error: not echoed, not stored, vault unchanged', async () => {
    const value = `sk-proj-${randomCanary()}`
    secrets.push(value)
    const before = generationOf(home)
    const results = await Promise.all([
      cv(['secret', 'set', 'openai', '--force', value], {input: `${randomCanary()}\n`}),
      cv(['secret', 'rotate', 'openai', value]),
      cv(['secret', 'set', 'openai', value, '--json']),
    ])
    for (const result of results) {
      expect(result.code, explain(result)).to.equal(2)
      expect(result.stderr + result.stdout).to.match(/takes no value argument/)
      expect(result.stderr + result.stdout).to.match(/nothing was stored/)
      assertNoCanary(result.stdout + result.stderr, [value], 'output of secret set with a value argument')
    }
    expect(JSON.parse(results[2].stdout).error.code).to.equal('USAGE')
    expect(generationOf(home)).to.equal(before)
    expect(await listJson()).to.deep.equal([])
    for (const file of filesUnder(home.dir)) assertNoCanary(readFileSync(file), [value], file)
  })

  it('a value given as an argument is not echoed with DEBUG=* either', async () => {
    const value = `sk-proj-${randomCanary()}`
    const result = await cv(['secret', 'set', 'openai', value], {debug: true})
    expect(result.code, explain(result)).to.equal(2)
    assertNoCanary(result.stdout + result.stderr, [value], 'DEBUG output')
  })

  it('`--env NAME` and `--name LABEL` with a space are accepted by secret set / rotate', async () => {
    const value = randomCanary()
    const set = await cv(['secret', 'set', 'cohere', '--env', 'COHERE_API_KEY', '--name', 'prod'], {input: `${value}\n`})
    expect(set.code, explain(set)).to.equal(0)
    const rotate = await cv(['secret', 'rotate', 'cohere', '--env', 'COHERE_API_KEY'], {input: `${randomCanary()}\n`})
    expect(rotate.code, explain(rotate)).to.equal(0)
    // leave the vault as the later tests expect it
    const removed = await cv(['secret', 'remove', 'cohere', '--env', 'COHERE_API_KEY'])
    expect(removed.code, explain(removed)).to.equal(0)
  })

  it('secret remove does not echo an unexpected (pasted) argument', async () => {
    const value = `sk-proj-${randomCanary()}`
    const result = await cv(['secret', 'remove', 'openai', value])
    expect(result.code, explain(result)).to.equal(2)
    assertNoCanary(result.stdout + result.stderr, [value], 'secret remove output')
  })

  it('format checks: mismatch refused with a masked prefix, --force stores with a warning, empty refused, short warns', async () => {
    // One character short of a valid Anthropic key: the most convincing kind of mistake.
    const near = `sk-ant-api03-${b64url(92)}AA`
    secrets.push(near)
    const before = generationOf(home)
    const [refused, refusedJson] = await Promise.all([
      cv(['secret', 'set', 'anthropic'], {input: `${near}\n`, debug: true}),
      cv(['secret', 'set', 'anthropic', '--json'], {input: near}),
    ])
    expect(refused.code, explain(refused)).to.equal(2)
    expect(refused.stderr).to.include('does not match the Anthropic key format')
    expect(refused.stderr).to.include('sk-ant-a…(107)')
    expect(refused.stderr).to.include('--force')
    // not even a 12-character piece of the random part is shown
    for (let i = 13; i + 12 <= near.length; i += 6) expect(refused.stdout + refused.stderr).not.to.include(near.slice(i, i + 12))
    assertNoCanary(refused.stdout + refused.stderr, [near], 'format mismatch output')
    expect(refusedJson.code, explain(refusedJson)).to.equal(2)
    expect(JSON.parse(refusedJson.stdout).error.code).to.equal('INVALID_INPUT')
    assertNoCanary(refusedJson.stdout + refusedJson.stderr, [near], 'format mismatch --json output')
    expect(generationOf(home)).to.equal(before)

    const forced = await cv(['secret', 'set', 'anthropic', '--force'], {input: `${near}\n`, debug: true})
    expect(forced.code, explain(forced)).to.equal(0)
    expect(forced.stderr).to.match(/does not match the Anthropic key format.*stored anyway because of --force/)
    expect(forced.stdout).to.match(/stored anthropic as ANTHROPIC_API_KEY \(version 1, fingerprint fp:[0-9a-f]{32}\)/)
    expect(generationOf(home)).to.equal(before + 1)

    const unknown = randomCanary()
    secrets.push(unknown)
    const inputs = ['', '   \n', '\t \t']
    // A short value is stored with a warning; it is too short to serve as a canary.
    const [short, wrongProvider, ...empties] = await Promise.all([
      cv(['secret', 'set', 'cohere'], {input: 'k9Zq2\n'}),
      cv(['secret', 'set', 'no-such-provider'], {input: `${unknown}\n`, debug: true}),
      ...inputs.map((input) => cv(['secret', 'set', 'cohere'], {input})),
    ])
    empties.forEach((empty, i) => {
      expect(empty.code, `${JSON.stringify(inputs[i])}: ${explain(empty)}`).to.equal(2)
      expect(empty.stderr).to.match(/empty/)
    })
    expect(short.code, explain(short)).to.equal(0)
    expect(short.stderr).to.match(/very short for an API key/)
    expect(short.stderr).not.to.include('k9Zq2')

    expect(wrongProvider.code, explain(wrongProvider)).to.equal(2)
    expect(wrongProvider.stderr).to.include('no-such-provider')
    expect(generationOf(home)).to.equal(before + 2)
  })

  it('set, list, rotate, remove: metadata only, versions and fingerprints, audit holds both fingerprints', async () => {
    const plain = randomCanary()
    const plain2 = randomCanary()
    const duplicate = randomCanary()
    const anthropic = anthropicKey()
    secrets.push(plain, plain2, duplicate, anthropic)

    const set = await cv(['secret', 'set', 'mistral', '--name=prod'], {input: `${plain}\n`, debug: true})
    expect(set.code, explain(set)).to.equal(0)
    expect(set.stdout).to.match(/stored mistral as MISTRAL_API_KEY \(version 1, fingerprint fp:[0-9a-f]{32}\)/)

    const generation = generationOf(home)
    const dup = await cv(['secret', 'set', 'mistral'], {input: `${duplicate}\n`, debug: true})
    expect(dup.code, explain(dup)).to.equal(2)
    expect(dup.stderr).to.match(/mistral already has a secret stored as MISTRAL_API_KEY/)
    expect(dup.stderr).to.include('secret rotate mistral')
    expect(generationOf(home)).to.equal(generation)

    let list = await listJson()
    const mistral = list.find((s) => s.provider === 'mistral')
    expect(mistral).to.include({provider: 'mistral', env: 'MISTRAL_API_KEY', label: 'prod', version: 1, length: plain.length})
    expect(mistral.fingerprint).to.match(/^fp:[0-9a-f]{32}$/)
    expect(Date.parse(mistral.created)).to.be.closeTo(Date.now(), 120_000)
    expect(mistral).not.to.have.property('rotated')
    expect(mistral).not.to.have.property('lastInjected')
    expect(Object.keys(mistral).sort()).to.deep.equal(['created', 'env', 'fingerprint', 'label', 'length', 'provider', 'version'])
    expect(list.map((s) => `${s.provider}/${s.env}`)).to.deep.equal(['anthropic/ANTHROPIC_API_KEY', 'cohere/CO_API_KEY', 'mistral/MISTRAL_API_KEY'])

    // the forced value is replaced by a valid key: a rotation
    const oldAnthropic = list.find((s) => s.provider === 'anthropic')
    const [rotated, rotate] = await Promise.all([
      cv(['secret', 'rotate', 'anthropic'], {input: `${anthropic}\n`, debug: true}),
      cv(['secret', 'rotate', 'mistral'], {input: `${plain2}\n`, debug: true}),
    ])
    expect(rotated.code, explain(rotated)).to.equal(0)
    expect(rotated.stderr).not.to.match(/does not look like/)
    expect(rotate.code, explain(rotate)).to.equal(0)
    list = await listJson()
    const after = list.find((s) => s.provider === 'mistral')
    expect(after).to.include({provider: 'mistral', env: 'MISTRAL_API_KEY', label: 'prod', version: 2, created: mistral.created})
    expect(after.fingerprint).to.match(/^fp:[0-9a-f]{32}$/).and.not.equal(mistral.fingerprint)
    expect(Date.parse(after.rotated)).to.be.at.least(Date.parse(mistral.created))
    expect(rotate.stdout).to.include(`version 1 (${mistral.fingerprint}) -> 2 (${after.fingerprint})`)
    const newAnthropic = list.find((s) => s.provider === 'anthropic')
    expect(newAnthropic.version).to.equal(2)
    expect(newAnthropic.fingerprint).not.to.equal(oldAnthropic.fingerprint)

    const audit = await cv(['audit', 'tail', '--json', '--type', 'secret.rotate'])
    expect(audit.code, explain(audit)).to.equal(0)
    const records = JSON.parse(audit.stdout).result.records
    const record = records.find((r: any) => r.provider === 'mistral')
    expect(record.data).to.include({env: 'MISTRAL_API_KEY', version: 2, previousVersion: 1, fingerprint: after.fingerprint, previousFingerprint: mistral.fingerprint})
    expect(records.find((r: any) => r.provider === 'anthropic').data).to.include({fingerprint: newAnthropic.fingerprint, previousFingerprint: oldAnthropic.fingerprint})

    // rotating to the value already stored changes nothing
    const generation2 = generationOf(home)
    const same = await cv(['secret', 'rotate', 'mistral'], {input: `${plain2}\n`, debug: true})
    expect(same.code, explain(same)).to.equal(2)
    expect(same.stderr).to.match(/same as the stored one/)
    expect(generationOf(home)).to.equal(generation2)

    // missing providers: exit 2 with what to do
    const missingValue = randomCanary()
    secrets.push(missingValue)
    const [removeMissing, rotateMissing, removed] = await Promise.all([
      cv(['secret', 'remove', 'openai', '--json']),
      cv(['secret', 'rotate', 'openai'], {input: `${missingValue}\n`, debug: true}),
      cv(['secret', 'remove', 'cohere']),
    ])
    expect(removeMissing.code, explain(removeMissing)).to.equal(2)
    const missingError = JSON.parse(removeMissing.stdout).error
    expect(missingError).to.include({code: 'INVALID_INPUT', message: 'no openai secret in the vault'})
    expect(missingError.suggestions.join('\n')).to.include('secret set openai')
    expect(rotateMissing.code, explain(rotateMissing)).to.equal(2)
    expect(rotateMissing.stderr).to.include('no openai secret in the vault')
    expect(rotateMissing.stderr).to.include('secret set openai')
    expect(generationOf(home)).to.equal(generation2 + 1) // the remove only
    expect(removed.code, explain(removed)).to.equal(0)
    expect(removed.stdout).to.match(/removed cohere CO_API_KEY \(version 1, fingerprint fp:[0-9a-f]{32}\)/)
    expect((await listJson()).map((s) => s.provider)).to.deep.equal(['anthropic', 'mistral'])
  })

  it('secret import with --scrub of a small .env keeps the canary out of every output', async () => {
    const value = randomCanary()
    secrets.push(value)
    const dotenv = join(home.dir, 'small.env')
    writeFileSync(dotenv, `# app settings\nexport CO_API_KEY="${value}" # cohere\nPORT=3000\n`)
    chmodSync(dotenv, 0o640)
    const result = await cv(['secret', 'import', dotenv, '--scrub'], {debug: true})
    expect(result.code, explain(result)).to.equal(0)
    expect(result.stdout).to.match(/imported {2}CO_API_KEY \(line 2\) -> cohere CO_API_KEY/)
    expect(result.stdout).to.include('not recognised (left in the file): PORT')
    expect(readFileSync(dotenv, 'utf8')).to.equal('# app settings\n# CO_API_KEY moved to codex-vault\nPORT=3000\n')
    expect(statSync(dotenv).mode & 0o777).to.equal(0o640)
  })

  it('read-only commands, plain, --json and DEBUG=*, never show a secret; nor does any file', async () => {
    const commands = [
      ['secret', 'list'], ['secret', 'list', '--json'], ['provider', 'list'], ['provider', 'list', '--json'], ['status'], ['status', '--json'],
      ['audit', 'tail', '-n', '100'], ['audit', 'tail', '-n', '100', '--json'], ['audit', 'verify'], ['audit', 'verify', '--json'],
    ]
    // DEBUG only adds to stderr, so one run each (with DEBUG) covers both
    const results: CliResult[] = []
    for (let i = 0; i < commands.length; i += 5) {
      results.push(...await Promise.all(commands.slice(i, i + 5).map((args) => cv(args, {debug: true}))))
    }
    results.forEach((result, i) => expect(result.code, `${commands[i].join(' ')}: ${explain(result)}`).to.equal(0))
    for (const word of ['anthropic', 'mistral', 'MISTRAL_API_KEY', 'prod', 'never']) expect(results[0].stdout).to.include(word)
    // the audit log has every secret event, by fingerprint only
    const records = JSON.parse(results[7].stdout).result.records
    const types = records.map((r: any) => r.type)
    for (const type of ['secret.set', 'secret.rotate', 'secret.remove', 'secret.import']) expect(types).to.include(type)
    expect(records.findLast((r: any) => r.type === 'secret.remove')).to.deep.include({provider: 'cohere'})
    expect(JSON.parse(results[9].stdout).result.ok).to.equal(true)

    expect(secrets.length).to.be.at.least(8)
    assertNoCanary(outputs.join('\n'), [...secrets, passphrase], 'command output')
    // the vault folder (vault, audit, lock, any temp file), the session files, the .env: everything
    const files = filesUnder(home.dir)
    expect(files).to.include(home.vault).and.include(`${home.vault}.audit`)
    expect(files.some((file) => file.startsWith(home.runtimeDir))).to.equal(true)
    for (const file of files) assertNoCanary(readFileSync(file), secrets, file)
  })
})
