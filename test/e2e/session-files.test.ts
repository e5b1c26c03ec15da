/**
 * Session files end to end (built binary): no file outlives its session. An expired session's
 * file is deleted by the first command that sees it expired, and unlock and lock prune the files
 * of expired and ended sessions; a damaged file is exit 5 (integrity), a missing one exit 7. Plus
 * the messages of commands that need the passphrase itself.
 */
import {copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {parseVaultFile} from '../../src/secrets/vault-header.js'
import {
  type CliHome, type CliResult, assertNoCanary, explain, hasStackTrace, initVault, makeHome, runCli, sleep, unlock,
} from '../helpers/cli.js'

describe('session files end to end', function () {
  this.timeout(120_000)
  let home: CliHome
  let passphrase: string
  let dir: string
  const tokens: string[] = []

  before(async () => {
    home = makeHome('cv-e2e-sessions-')
    passphrase = await initVault(home)
    dir = join(home.runtimeDir, 'codex-vault', parseVaultFile(readFileSync(home.vault)).header.vaultId)
  })
  after(() => home.cleanup())

  const fileOf = (token: string) => join(dir, token.split('.')[1])
  const newSession = async (extra: string[] = []) => {
    const token = await unlock(home, passphrase, extra)
    tokens.push(token)
    return token
  }
  const cv = async (args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<CliResult> => {
    const result = await runCli(args, {home, env, ...(input === undefined ? {} : {input})})
    expect(result.timedOut, explain(result)).to.equal(false)
    expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
    assertNoCanary(result.stdout + result.stderr, [passphrase, ...tokens.map((t) => t.split('.')[2])], args.join(' '))
    return result
  }

  it('an expired session: exit 7, and its file is gone after that one command', async () => {
    const token = await newSession(['--ttl', '1s'])
    expect(existsSync(fileOf(token))).to.equal(true)
    await sleep(1200)
    const result = await cv(['secret', 'list'], {CODEX_VAULT_SESSION: token})
    expect(result.code, explain(result)).to.equal(7)
    expect(result.stderr).to.include('the session has expired')
    expect(existsSync(fileOf(token))).to.equal(false)
  })

  it('unlock and lock prune the files of other expired sessions', async () => {
    const short = [await newSession(['--ttl', '1s']), await newSession(['--ttl', '1s'])]
    await sleep(1200)
    for (const token of short) expect(existsSync(fileOf(token))).to.equal(true)
    const live = await newSession()
    for (const token of short) expect(existsSync(fileOf(token)), 'pruned at unlock').to.equal(false)

    const another = await newSession(['--ttl', '1s'])
    await sleep(1200)
    const lock = await cv(['lock'], {CODEX_VAULT_SESSION: live})
    expect(lock.code, explain(lock)).to.equal(0)
    expect(existsSync(fileOf(live))).to.equal(false)
    expect(existsSync(fileOf(another)), 'pruned at lock').to.equal(false)
  })

  it('a session the vault records as ended: its file, put back, is deleted by the next command that sees it', async () => {
    const token = await newSession()
    const saved = join(home.dir, 'saved-session')
    copyFileSync(fileOf(token), saved)
    const lock = await cv(['lock'], {CODEX_VAULT_SESSION: token})
    expect(lock.code, explain(lock)).to.equal(0)
    copyFileSync(saved, fileOf(token))
    const result = await cv(['secret', 'list'], {CODEX_VAULT_SESSION: token})
    expect(result.code, explain(result)).to.equal(7)
    expect(result.stderr).to.include('the session was ended')
    expect(existsSync(fileOf(token))).to.equal(false)
  })

  it('a damaged session file is exit 5 (integrity), audited; lock still removes it; a missing file is exit 7', async () => {
    const token = await newSession()
    const good = readFileSync(fileOf(token), 'utf8')
    const middle = Math.floor(good.length / 2)
    writeFileSync(fileOf(token), `${good.slice(0, middle)}#${good.slice(middle + 1)}`)
    const damaged = await cv(['secret', 'list', '--json'], {CODEX_VAULT_SESSION: token})
    expect(damaged.code, explain(damaged)).to.equal(5)
    const error = JSON.parse(damaged.stdout).error
    expect(error.code).to.equal('INTEGRITY')
    expect(error.message).to.match(/^the session file is damaged/)
    expect(error.suggestions.join('\n')).to.include('codex-vault lock')
    const lock = await cv(['lock'], {CODEX_VAULT_SESSION: token})
    expect(lock.code, explain(lock)).to.equal(0)
    expect(existsSync(fileOf(token))).to.equal(false)
    const missing = await cv(['secret', 'list'], {CODEX_VAULT_SESSION: token})
    expect(missing.code, explain(missing)).to.equal(7)
    const records = JSON.parse((await cv(['audit', 'tail', '--json', '-n', '50'], {CODEX_VAULT_PASSPHRASE: passphrase})).stdout).result.records
    expect(records.some((r: any) => r.type === 'session.integrity' && r.outcome === 'deny')).to.equal(true)
  })

  it('lock with a malformed CODEX_VAULT_SESSION says it is malformed, not unset', async () => {
    const result = await cv(['lock'], {CODEX_VAULT_SESSION: 'garbage'})
    expect(result.code, explain(result)).to.equal(2)
    expect(result.stderr).to.include('CODEX_VAULT_SESSION is malformed').and.not.include('is not set')
  })

  it('unlock and rekey with a valid session but no passphrase name the passphrase as what is missing; init names the existing vault', async () => {
    const token = await newSession()
    for (const command of ['unlock', 'rekey']) {
      const result = await cv([command], {CODEX_VAULT_SESSION: token})
      expect(result.code, explain(result)).to.equal(7)
      expect(result.stderr).to.include(`${command} needs the passphrase (a session cannot stand in for it)`)
      expect(result.stderr).to.include('--passphrase-stdin').and.include('CODEX_VAULT_PASSPHRASE').and.not.include('the vault is locked')
    }
    const init = await cv(['init', '--json'])
    expect(init.code, explain(init)).to.equal(2)
    expect(JSON.parse(init.stdout).error.code).to.equal('VAULT_EXISTS')
  })

  it('unlock --ttl names the session limit (7d), not the general one', async () => {
    const before = readdirSync(dir).sort()
    for (const ttl of ['0', '8d']) {
      const result = await cv(['unlock', '--ttl', ttl, '--passphrase-stdin'], {}, passphrase)
      expect(result.code, explain(result)).to.equal(2)
      expect(result.stderr).to.include(`--ttl: "${ttl}" must be more than 0 and at most 7d`)
    }
    expect(readdirSync(dir).sort()).to.deep.equal(before) // no session was started
  })
})
