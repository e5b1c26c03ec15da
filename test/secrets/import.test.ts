/**
 * importDotenv against a real vault in a temp folder (no CLI): --scrub is checked before anything
 * is stored, a scrub that fails after the import is reported as such (and audited as not done),
 * and a name assigned different values is left alone. The .env writer is injected to fail,
 * since permissions do not stop root from writing.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {initVault} from '../../src/auth/init-vault.js'
import {type AuthenticatedVault, type CommandEnv, bootVault} from '../../src/cli/context.js'
import {VaultError} from '../../src/cli/errors.js'
import {writeFileAtomic} from '../../src/secrets/atomic-write.js'
import {importDotenv, readImportFile, scrubFailure} from '../../src/secrets/import.js'
import {loadCatalog} from '../../src/secrets/providers/catalog.js'
import {expectRejects, randomPassphrase, tempDir} from '../vault/helpers.js'
import {assertNoCanary} from '../helpers/cli.js'
import {canary, expectVaultError} from './helpers.js'
import {sampleFor} from './sample-key.js'

const xaiKey = () => sampleFor(loadCatalog([]).providers.flatMap((p) => p.keyFormats).find((f) => f.id === 'xai-api-key')!.pattern)

const eacces = () => Object.assign(new Error('EACCES: permission denied, open \'.env.1.tmp\''), {code: 'EACCES'})

describe('secret import (domain, real vault)', function () {
  this.timeout(60_000)
  let t: ReturnType<typeof tempDir>
  let vault: AuthenticatedVault
  let dotenv: string

  beforeEach(async () => {
    t = tempDir('cv-import-test-')
    const vaultPath = join(t.dir, 'data', 'vault.cv')
    const passphrase = randomPassphrase()
    await initVault({vaultPath, passphrase, kdf: 'interactive', now: new Date(), lockTimeoutMs: 5000})
    const env: CommandEnv = {
      vaultPath, lockTimeoutMs: 5000, now: () => new Date(), env: {XDG_RUNTIME_DIR: join(t.dir, 'run'), HOME: t.dir},
      fromStdin: false, stdin: process.stdin, stderr: process.stderr, warn: () => {},
    }
    vault = await bootVault(env, 'secret:import', {passphrase})
    dotenv = join(t.dir, '.env')
  })
  afterEach(() => {
    vault?.close()
    t.cleanup()
  })

  const records = () => vault.audit.readAfter(-1)
  const generation = () => vault.header.generation

  it('--scrub that cannot rewrite the file: refused before anything is stored, file and vault unchanged', async () => {
    const key = canary(40)
    const text = `# app\nMISTRAL_API_KEY=${key}\nPORT=3000\n`
    writeFileSync(dotenv, text)
    const before = generation()
    const error = await expectRejects(importDotenv(vault, {file: dotenv, scrub: true, now: new Date(), access: () => { throw eacces() }}), 'INVALID_INPUT')
    expect(error.exitCode).to.equal(2)
    expect(error.message).to.match(/cannot rewrite .*\.env: permission denied \(EACCES.*nothing was imported/)
    expect(error.suggestions.join('\n')).to.include(t.dir).and.include('without --scrub')
    assertNoCanary(`${error.message}\n${error.suggestions.join('\n')}`, [key])
    expect(readFileSync(dotenv, 'utf8')).to.equal(text)
    expect(generation()).to.equal(before)
    expect(vault.body.secrets).to.deep.equal([])
    expect(records().map((r) => r.type)).to.deep.equal(['vault.init'])
  })

  it('--scrub that fails after the import: reported as imported but not scrubbed, audited as a failed scrub', async () => {
    const key = canary(40)
    const text = `MISTRAL_API_KEY=${key}\n`
    writeFileSync(dotenv, text)
    // the permission probe passes; the real rewrite fails
    const write = (target: string, data: string, mode: number) => {
      if (data !== text) throw eacces()
      writeFileAtomic(target, data, mode)
    }
    const warnings: string[] = []
    const result = await importDotenv(vault, {file: dotenv, scrub: true, now: new Date(), write, warn: (m) => warnings.push(m)})
    expect(result.imported.map((i) => i.provider)).to.deep.equal(['mistral'])
    expect(result.scrubbed).to.deep.equal([])
    expect(result.scrubError?.keys).to.deep.equal(['MISTRAL_API_KEY'])
    expect(warnings).to.deep.equal([])
    expect(readFileSync(dotenv, 'utf8')).to.equal(text)
    const failure = scrubFailure(result)
    expect(failure).to.be.instanceOf(VaultError)
    expect(failure.exitCode).to.equal(2)
    expect(failure.message).to.match(/^imported 1 secret\(s\) into the vault, but the file was not scrubbed: cannot rewrite/)
    expect(failure.suggestions.join('\n')).to.include('MISTRAL_API_KEY is still in').and.include('--scrub')
    const [init, imported, scrub] = records()
    expect(init.type).to.equal('vault.init')
    expect(imported).to.deep.include({type: 'secret.import', outcome: 'ok'})
    expect(imported.data).to.include({scrubRequested: true}).and.not.have.property('scrub')
    expect(scrub).to.deep.include({type: 'secret.scrub', outcome: 'error'})
    expect(scrub.data).to.deep.include({scrubbed: [], left: ['MISTRAL_API_KEY']})
    assertNoCanary(JSON.stringify(records()), [key], 'the audit log')
  })

  it('--scrub that works: the secret.scrub record names what left the file', async () => {
    writeFileSync(dotenv, `MISTRAL_API_KEY=${canary(40)}\nPORT=1\n`)
    const result = await importDotenv(vault, {file: dotenv, scrub: true, now: new Date()})
    expect(result.scrubbed).to.deep.equal(['MISTRAL_API_KEY'])
    expect(result).not.to.have.property('scrubError')
    expect(readFileSync(dotenv, 'utf8')).to.equal('# MISTRAL_API_KEY moved to codex-vault\nPORT=1\n')
    const scrub = records().at(-1)!
    expect(scrub).to.deep.include({type: 'secret.scrub', outcome: 'ok'})
    expect(scrub.data).to.deep.include({scrubbed: ['MISTRAL_API_KEY']})
  })

  it('a name assigned two different values: neither stored, both lines kept; an identical repeat is stored once and scrubbed', async () => {
    const [a, b] = [xaiKey(), xaiKey()]
    const same = canary(40)
    const text = `XAI_API_KEY=${a}\nMISTRAL_API_KEY=${same}\nXAI_API_KEY=${b}\nexport MISTRAL_API_KEY="${same}"\n`
    writeFileSync(dotenv, text)
    const result = await importDotenv(vault, {file: dotenv, scrub: true, now: new Date()})
    expect(result.imported.map((i) => `${i.key}:${i.line}`)).to.deep.equal(['MISTRAL_API_KEY:4'])
    expect(result.conflicts.map((c) => [c.key, c.lines])).to.deep.equal([['XAI_API_KEY', [1, 3]]])
    expect(result.scrubbed).to.deep.equal(['MISTRAL_API_KEY'])
    expect(vault.body.secrets.map((s) => s.provider)).to.deep.equal(['mistral'])
    expect(readFileSync(dotenv, 'utf8')).to.equal(`XAI_API_KEY=${a}\n# MISTRAL_API_KEY moved to codex-vault\nXAI_API_KEY=${b}\n# MISTRAL_API_KEY moved to codex-vault\n`)
    assertNoCanary(JSON.stringify(result), [a, b, same], 'the result')
    expect(records().find((r) => r.type === 'secret.import')!.data).to.deep.include({conflicts: ['XAI_API_KEY']})
  })

  it('a file with no KEY=value line at all (a pasted bare key) is a usage error that does not echo it', () => {
    const key = `sk-proj-${canary(60)}`
    writeFileSync(dotenv, `${key}\n\n# a comment\n`)
    const error = expectVaultError(() => readImportFile(dotenv), 'INVALID_INPUT')
    expect(error.exitCode).to.equal(2)
    expect(error.message).to.match(/has no KEY=value line \(1 line\(s\) could not be read; line 1: missing "=" after the name\); nothing was imported$/)
    expect(error.suggestions.join('\n')).to.include('secret set')
    assertNoCanary(`${error.message}\n${error.suggestions.join('\n')}`, [key])
    // an empty file, or one of comments only, is not an error: there is just nothing to import
    writeFileSync(dotenv, '# nothing yet\n')
    expect(readImportFile(dotenv).parsed.entries).to.deep.equal([])
  })
})
