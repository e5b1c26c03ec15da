/**
 * init / unlock / lock / status / rekey in-process with @oclif/test's runCommand: exit codes, the
 * --json envelope, session failures, and canaries. Passphrases come from CODEX_VAULT_PASSPHRASE
 * (stdin belongs to mocha); passwd and the no-TTY cases are in test/e2e/foundation*.test.ts.
 */
import {existsSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {AuditLog} from '../../src/audit/log.js'
import {sessionIdOfToken} from '../../src/auth/session.js'
import {parseVaultFile} from '../../src/secrets/vault-header.js'
import {type CliHome, assertNoCanary, makeHome, randomCanary, sleep} from '../helpers/cli.js'
import {cv, generationOf} from '../helpers/in-process.js'

const vaultIdOf = (home: CliHome) => parseVaultFile(readFileSync(home.vault)).header.vaultId

async function newVault(home: CliHome): Promise<string> {
  const passphrase = randomCanary()
  const result = await cv(['init', '--kdf', 'interactive'], home, {passphrase})
  expect(result.code, result.stderr).to.equal(0)
  return passphrase
}

async function newSession(home: CliHome, passphrase: string, extra: string[] = []): Promise<string> {
  const result = await cv(['unlock', '--json', ...extra], home, {passphrase})
  expect(result.code, result.stdout).to.equal(0)
  return result.json.result.token
}

describe('foundation commands (in-process)', function () {
  this.timeout(30_000)
  let home: CliHome
  let passphrase: string
  const homes: CliHome[] = []
  const fresh = () => {
    const h = makeHome('cv-cmd-')
    homes.push(h)
    return h
  }

  before(async function () {
    this.timeout(60_000) // the first runCommand loads oclif and compiles the commands
    home = fresh()
    passphrase = await newVault(home)
  })

  after(() => {
    for (const h of homes) h.cleanup()
  })

  describe('init', () => {
    it('creates the vault at generation 0 with its audit log, and never over an existing one', async () => {
      expect(generationOf(home)).to.be.at.least(0)
      expect(existsSync(`${home.vault}.audit`)).to.equal(true)
      const before = readFileSync(home.vault)
      const again = await cv(['init', '--kdf', 'interactive', '--json'], home, {passphrase: randomCanary()})
      expect(again.code).to.equal(2)
      expect(again.json).to.include({status: 2})
      expect(again.json.error.code).to.equal('VAULT_EXISTS')
      expect(readFileSync(home.vault).equals(before)).to.equal(true)
    })

    it('refuses a short new passphrase and an unknown --kdf without creating anything', async () => {
      const h = fresh()
      const short = await cv(['init', '--kdf', 'interactive', '--json'], h, {passphrase: 'short'})
      expect(short.code).to.equal(2)
      expect(short.json.error.code).to.equal('INVALID_INPUT')
      const kdf = await cv(['init', '--kdf', 'weak'], h, {passphrase: randomCanary()})
      expect(kdf.code).to.equal(2)
      expect(existsSync(h.vault)).to.equal(false)
    })

    it('refuses to start a new vault over the audit log of an earlier one', async () => {
      const h = fresh()
      await newVault(h)
      unlinkSync(h.vault)
      const result = await cv(['init', '--kdf', 'interactive', '--json'], h, {passphrase: randomCanary()})
      expect(result.code).to.equal(2)
      expect(result.json.error.code).to.equal('INVALID_INPUT')
      expect(existsSync(h.vault)).to.equal(false)
    })
  })

  describe('missing vault', () => {
    for (const command of ['status', 'unlock', 'lock --all', 'rekey']) {
      it(`${command}: exit 3, points at codex-vault init, creates nothing`, async () => {
        const h = fresh()
        const result = await cv([...command.split(' '), '--json'], h, {passphrase: randomCanary()})
        expect(result.code).to.equal(3)
        expect(result.json.status).to.equal(3)
        expect(result.json.error.code).to.equal('VAULT_MISSING')
        expect(`${result.json.error.message} ${result.json.error.suggestions.join(' ')}`).to.include('codex-vault init')
        expect(existsSync(h.vault)).to.equal(false)
        expect(readdirSync(h.dir)).to.deep.equal([])
      })
    }
  })

  describe('--json envelope', () => {
    it('success: {status: 0, result, warnings}', async () => {
      const result = await cv(['status', '--json'], home, {passphrase})
      expect(result.code).to.equal(0)
      expect(result.json.status).to.equal(0)
      expect(result.json.result.locked).to.equal(false)
      expect(result.json.result.vaultId).to.equal(vaultIdOf(home))
      expect(result.json).to.not.have.property('error')
      // the CODEX_VAULT_PASSPHRASE warning goes into the envelope, not around it
      expect(result.json.warnings.join(' ')).to.include('CODEX_VAULT_PASSPHRASE')
    })

    it('failure keeps its exit code: wrong passphrase is exit 4 with AUTH_FAILED', async () => {
      const wrong = randomCanary()
      const result = await cv(['status', '--json'], home, {passphrase: wrong})
      expect(result.code).to.equal(4)
      expect(result.json.status).to.equal(4)
      expect(result.json.error.code).to.equal('AUTH_FAILED')
      expect(result.json.error.message).to.equal('wrong passphrase or damaged key slot')
      expect(result.json).to.not.have.property('result')
      assertNoCanary(result.stdout + result.stderr, [wrong, passphrase], 'status --json output')
      const text = await cv(['status'], home, {passphrase: wrong})
      expect(text.code).to.equal(4)
      expect(text.stderr).to.include('wrong passphrase or damaged key slot')
      assertNoCanary(text.stdout + text.stderr, [wrong, passphrase], 'status output')
    })

    it('usage errors are exit 2 with a USAGE/INVALID_INPUT code', async () => {
      const ttl = await cv(['unlock', '--ttl', '8d', '--json'], home, {passphrase})
      expect(ttl.code).to.equal(2)
      expect(ttl.json.status).to.equal(2)
      for (const bad of ['-1s', '0', '1e309', '99999999999d']) {
        const result = await cv(['unlock', '--ttl', bad, '--json'], home, {passphrase})
        expect(result.code, bad).to.equal(2)
        expect(result.json.error.code, bad).to.be.oneOf(['USAGE', 'INVALID_INPUT'])
      }
      const flag = await cv(['status', '--no-such-flag', '--json'], home, {passphrase})
      expect(flag.code).to.equal(2)
    })
  })

  describe('sessions', () => {
    it('unlock registers a session, prints an export line and moves the vault to a new generation on disk', async () => {
      const before = generationOf(home)
      const result = await cv(['unlock'], home, {passphrase})
      expect(result.code, result.stderr).to.equal(0)
      const match = /^export CODEX_VAULT_SESSION=(cvs1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})\n$/.exec(result.stdout)
      expect(match, result.stdout).to.not.equal(null)
      const token = match![1]
      expect(generationOf(home)).to.equal(before + 1) // written to disk even under NODE_ENV=test
      assertNoCanary(result.stderr, [token, passphrase], 'unlock stderr')
      const status = await cv(['status', '--json'], home, {session: token})
      expect(status.code).to.equal(0)
      expect(status.json.result.session.id).to.equal(sessionIdOfToken(token))
      assertNoCanary(status.stdout + status.stderr, [token, passphrase], 'status output')
      const raw = await cv(['unlock', '--raw'], home, {passphrase})
      expect(raw.stdout).to.match(/^cvs1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\n$/)
    })

    it('unlock always asks for the passphrase: a session cannot extend itself', async () => {
      const token = await newSession(home, passphrase)
      const h = fresh() // an empty home: no passphrase source at all besides the session
      const result = await cv(['unlock', '--json', '--vault', home.vault], h, {session: token})
      // with no TTY this is exit 7 at once; on a TTY it would prompt, which runCommand cannot answer
      if (process.stdin.isTTY) return
      expect(result.code).to.equal(7)
    })

    it('expired session: exit 7', async () => {
      const token = await newSession(home, passphrase, ['--ttl', '1s'])
      expect((await cv(['status', '--json'], home, {session: token})).code).to.equal(0)
      await sleep(1200)
      const result = await cv(['status', '--json'], home, {session: token})
      expect(result.code).to.equal(7)
      expect(result.json.error.code).to.equal('NO_SESSION')
    })

    it('deleted session file, edited session file, garbage token: exit 7', async () => {
      const deleted = await newSession(home, passphrase)
      unlinkSync(join(home.runtimeDir, 'codex-vault', vaultIdOf(home), sessionIdOfToken(deleted)!))
      const edited = await newSession(home, passphrase, ['--ttl', '1m'])
      const file = join(home.runtimeDir, 'codex-vault', vaultIdOf(home), sessionIdOfToken(edited)!)
      const json = JSON.parse(readFileSync(file, 'utf8'))
      json.expiresAt = new Date(Date.now() + 86_400_000).toISOString()
      writeFileSync(file, JSON.stringify(json))
      for (const token of [deleted, edited, 'garbage', `cvs1.${'A'.repeat(22)}.${'B'.repeat(43)}`]) {
        const result = await cv(['status', '--json'], home, {session: token})
        expect(result.code, token).to.equal(7)
        expect(result.json.error.code).to.equal('NO_SESSION')
        assertNoCanary(result.stdout, [token], 'status --json output')
      }
    })

    it('a token of another vault: exit 7', async () => {
      const other = fresh()
      const otherPass = await newVault(other)
      const foreign = await newSession(other, otherPass)
      const result = await cv(['status', '--json'], home, {session: foreign})
      expect(result.code).to.equal(7)
      expect(result.json.error.code).to.equal('NO_SESSION')
    })

    it('lock ends this session only; the next command with it exits 7', async () => {
      const mine = await newSession(home, passphrase)
      const other = await newSession(home, passphrase)
      const lock = await cv(['lock', '--json'], home, {session: mine})
      expect(lock.code).to.equal(0)
      expect(lock.json.result).to.deep.equal({ended: 1, all: false})
      expect((await cv(['status', '--json'], home, {session: mine})).code).to.equal(7)
      expect((await cv(['status', '--json'], home, {session: other})).code).to.equal(0)
      // locking again (an ended session) still succeeds: locking must always work
      expect((await cv(['lock'], home, {session: mine})).code).to.equal(0)
      // without a session and without --all there is nothing to end
      expect((await cv(['lock', '--json'], home, {passphrase})).code).to.equal(2)
    })

    it('lock --all ends every session', async () => {
      const tokens = [await newSession(home, passphrase), await newSession(home, passphrase), await newSession(home, passphrase)]
      const lock = await cv(['lock', '--all', '--json'], home, {session: tokens[0]})
      expect(lock.code).to.equal(0)
      expect(lock.json.result.ended).to.be.at.least(3)
      for (const token of tokens) expect((await cv(['status', '--json'], home, {session: token})).code).to.equal(7)
      const status = await cv(['status', '--json'], home, {passphrase})
      expect(status.json.result.counts.activeSessions).to.equal(0)
      expect(existsSync(join(home.runtimeDir, 'codex-vault', vaultIdOf(home)))).to.equal(false)
    })
  })

  describe('rekey', () => {
    it('ends every session, keeps the vault id, and the vault still opens with the passphrase', async () => {
      const h = fresh()
      const pass = await newVault(h)
      const tokens = [await newSession(h, pass), await newSession(h, pass)]
      const id = vaultIdOf(h)
      const dekSlotBefore = parseVaultFile(readFileSync(h.vault)).header.slots[0].wrapped
      const result = await cv(['rekey', '--json'], h, {passphrase: pass})
      expect(result.code, result.stdout).to.equal(0)
      expect(result.json.result).to.include({secrets: 0, sessionsEnded: 2})
      for (const token of tokens) expect((await cv(['status', '--json'], h, {session: token})).code).to.equal(7)
      const header = parseVaultFile(readFileSync(h.vault)).header
      expect(header.vaultId).to.equal(id)
      expect(header.slots[0].wrapped).to.not.equal(dekSlotBefore)
      const status = await cv(['status', '--json'], h, {passphrase: pass})
      expect(status.code).to.equal(0)
      expect(status.json.result.counts.activeSessions).to.equal(0)
      expect(new AuditLog({path: `${h.vault}.audit`}).tail({limit: 10, type: 'vault.rekey'})).to.have.length(1)
    })

    it('refuses a session alone and a wrong passphrase, changing nothing', async () => {
      const h = fresh()
      const pass = await newVault(h)
      const token = await newSession(h, pass)
      const before = readFileSync(h.vault)
      const wrong = await cv(['rekey', '--json'], h, {passphrase: randomCanary(), session: token})
      expect(wrong.code).to.equal(4)
      if (!process.stdin.isTTY) expect((await cv(['rekey', '--json'], h, {session: token})).code).to.equal(7)
      expect(readFileSync(h.vault).equals(before)).to.equal(true)
      expect((await cv(['status', '--json'], h, {session: token})).code).to.equal(0)
    })
  })

  describe('status', () => {
    it('locked without a passphrase source: exit 7, still printing the header facts', async function () {
      if (process.stdin.isTTY) this.skip() // would prompt; covered end-to-end with stdin from /dev/null
      const text = await cv(['status'], home)
      expect(text.code).to.equal(7)
      expect(text.stdout).to.include(vaultIdOf(home))
      expect(text.stdout).to.include(`generation ${generationOf(home)}`)
      expect(text.stdout).to.include('locked')
      const json = await cv(['status', '--json'], home)
      expect(json.code).to.equal(7)
      expect(json.json.error.code).to.equal('NO_SESSION')
      expect(json.json.error.details.status).to.include({vaultId: vaultIdOf(home), generation: generationOf(home), locked: true})
    })

    it('reports the files it protects as 0600 after every command', () => {
      for (const path of [home.vault, `${home.vault}.audit`, `${home.vault}.lock`]) expect(statSync(path).mode & 0o777, path).to.equal(0o600)
    })
  })

  it('never writes the passphrase or a token to the vault or the audit log', async () => {
    const token = await newSession(home, passphrase)
    await cv(['status', '--json'], home, {session: token})
    await cv(['status', '--json'], home, {session: `${token.slice(0, -2)}AA`})
    await cv(['status'], home, {passphrase: randomCanary()})
    const vault = readFileSync(home.vault)
    assertNoCanary(vault, [passphrase, token], 'the vault file')
    assertNoCanary(readFileSync(`${home.vault}.audit`), [passphrase, token, token.split('.')[2]], 'the audit log')
    for (const word of ['sessions', 'secrets']) expect(vault.includes(word), word).to.equal(false)
  })
})
