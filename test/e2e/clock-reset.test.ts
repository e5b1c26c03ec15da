/**
 * `unlock --reset-clock` end to end (built binary). One run with the clock a year ahead (faked by
 * preloading test/helpers/clock-shift.cjs) leaves the vault's last-seen time a year ahead, and
 * then every command on the right clock is CLOCK_SKEW (exit 6), passphrase or not. The way back:
 * the owner, with the passphrase, resets the clock; it is audited with both times, sessions
 * started under the wrong clock end, and a session or a run-only session cannot do it.
 */
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {parseVaultFile} from '../../src/secrets/vault-header.js'
import {
  type CliHome, type CliResult, ROOT, assertNoCanary, explain, hasStackTrace, initVault, makeHome, randomCanary, runCli,
} from '../helpers/cli.js'

const YEAR_MS = 366 * 86_400_000
const SHIFT = join(ROOT, 'test', 'helpers', 'clock-shift.cjs')
const aYearAhead = {NODE_OPTIONS: `--require ${SHIFT}`, CV_TEST_CLOCK_SHIFT_MS: String(YEAR_MS)}

describe('unlock --reset-clock end to end', function () {
  this.timeout(120_000)
  let home: CliHome
  let passphrase: string
  const tokens: string[] = []

  before(async () => {
    home = makeHome('cv-e2e-clock-')
    passphrase = await initVault(home)
  })
  after(() => home.cleanup())

  const cv = async (args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<CliResult> => {
    const result = await runCli(args, {home, env, ...(input === undefined ? {} : {input})})
    expect(result.timedOut, explain(result)).to.equal(false)
    expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
    assertNoCanary(result.stdout + result.stderr, [passphrase, ...tokens.map((t) => t.split('.')[2])], args.join(' '))
    return result
  }
  const sessionFile = (token: string) => join(home.runtimeDir, 'codex-vault', parseVaultFile(readFileSync(home.vault)).header.vaultId, token.split('.')[1])

  it('after one run a year ahead, every command is exit 6 and names --reset-clock; only the passphrase resets it', async () => {
    // one unlock (full) and one unlock --run-only, both with the clock a year ahead
    const ahead = await cv(['unlock', '--raw', '--passphrase-stdin'], aYearAhead, passphrase)
    expect(ahead.code, explain(ahead)).to.equal(0)
    const futureToken = ahead.stdout.trim()
    const agent = await cv(['unlock', '--raw', '--run-only', '--passphrase-stdin'], aYearAhead, passphrase)
    expect(agent.code, explain(agent)).to.equal(0)
    const agentToken = agent.stdout.trim()
    tokens.push(futureToken, agentToken)

    // the right clock: the passphrase does not help, nor do passwd and rekey
    for (const args of [['secret', 'list', '--passphrase-stdin'], ['rekey', '--passphrase-stdin'], ['unlock', '--passphrase-stdin']]) {
      const result = await cv([...args, '--json'], {}, passphrase)
      expect(result.code, `${args.join(' ')}: ${explain(result)}`).to.equal(6)
      const error = JSON.parse(result.stdout).error
      expect(error.code).to.equal('CLOCK_SKEW')
      expect(error.suggestions.join('\n')).to.include('codex-vault unlock --reset-clock')
    }
    const generation = parseVaultFile(readFileSync(home.vault)).header.generation

    // a session cannot stand in for the passphrase; a run-only session in the environment is refused outright
    const bySession = await cv(['unlock', '--reset-clock'], {CODEX_VAULT_SESSION: futureToken})
    expect(bySession.code, explain(bySession)).to.equal(7)
    expect(bySession.stderr).to.include('unlock --reset-clock needs the passphrase (a session cannot stand in for it)')
    const byAgent = await cv(['unlock', '--reset-clock', '--passphrase-stdin', '--json'], {CODEX_VAULT_SESSION: agentToken}, passphrase)
    expect(byAgent.code, explain(byAgent)).to.equal(6)
    expect(JSON.parse(byAgent.stdout).error).to.include({code: 'POLICY_DENY'})
    expect(JSON.parse(byAgent.stdout).error.message).to.include('run-only')
    const wrong = await cv(['unlock', '--reset-clock', '--passphrase-stdin'], {}, randomCanary())
    expect(wrong.code, explain(wrong)).to.equal(4)
    expect(parseVaultFile(readFileSync(home.vault)).header.generation).to.equal(generation)

    // the owner, with the passphrase
    const before = Date.now()
    const reset = await cv(['unlock', '--reset-clock', '--passphrase-stdin', '--json'], {}, passphrase)
    expect(reset.code, explain(reset)).to.equal(0)
    const result = JSON.parse(reset.stdout).result
    expect(Date.parse(result.clockReset.previous)).to.be.greaterThan(before + YEAR_MS - 60_000)
    expect(Date.parse(result.clockReset.lastSeen)).to.be.closeTo(Date.now(), 60_000)
    expect(result.clockReset.sessionsEnded).to.equal(2)
    tokens.push(result.token)
    // the sessions started a year ahead would otherwise last a year: ended, files gone
    expect(existsSync(sessionFile(futureToken))).to.equal(false)
    expect(existsSync(sessionFile(agentToken))).to.equal(false)

    // everything works again, rekey included
    const list = await cv(['secret', 'list'], {CODEX_VAULT_SESSION: result.token})
    expect(list.code, explain(list)).to.equal(0)
    const audit = await cv(['audit', 'tail', '--json', '--type', 'clock.reset'], {CODEX_VAULT_SESSION: result.token})
    const records = JSON.parse(audit.stdout).result.records
    expect(records).to.have.length(1)
    expect(records[0]).to.deep.include({type: 'clock.reset', outcome: 'ok'})
    expect(records[0].data).to.include({previous: result.clockReset.previous, lastSeen: result.clockReset.lastSeen, sessionsEnded: 2})
    const verify = await cv(['audit', 'verify'], {CODEX_VAULT_SESSION: result.token})
    expect(verify.code, explain(verify)).to.equal(0)
    const rekey = await cv(['rekey', '--passphrase-stdin'], {}, passphrase)
    expect(rekey.code, explain(rekey)).to.equal(0)
  })
})
