/**
 * The error contract at the edges oclif owns (unknown commands, parse errors, help) and the rule
 * that a key typed where a name goes is never echoed or stored.
 */
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {type CliHome, type CliResult, assertNoCanary, explain, hasStackTrace, initVault, makeHome, runCli, unlock} from '../helpers/cli.js'

function alnum(length: number): string {
  let out = ''
  while (out.length < length) out += Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2).toUpperCase()
  return out.slice(0, length)
}

describe('cli contract end to end', function () {
  this.timeout(120_000)
  let home: CliHome
  let token: string
  const outputs: string[] = []

  async function cv(args: string[], input?: string): Promise<CliResult> {
    const result = await runCli(args, {home, env: {CODEX_VAULT_SESSION: token}, ...(input === undefined ? {} : {input})})
    outputs.push(result.stdout, result.stderr)
    expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
    return result
  }

  before(async () => {
    home = makeHome('cv-e2e-contract-')
    token = await unlock(home, await initVault(home))
  })
  after(() => home.cleanup())

  it('answers an unknown command with exit 2, a codex-vault: message and the closest commands', async () => {
    const typo = await cv(['statsu'])
    expect(typo.code, explain(typo)).to.equal(2)
    expect(typo.stderr).to.match(/^codex-vault: there is no command "statsu"\n {2}try: codex-vault status\n/)
    const near = await cv(['secret', 'lst'])
    expect(near.stderr).to.equal('codex-vault: there is no command "secret lst"\n  try: codex-vault secret list\n  try: codex-vault --help (every command); codex-vault <command> --help (its flags and examples)\n')
    const inTopic = await cv(['asset', 'bogus'])
    expect(inTopic.code).to.equal(2)
    expect(inTopic.stderr).to.include('try: codex-vault asset list')
    expect(inTopic.stderr).to.not.include('asset:bogus')
    const json = await cv(['audit', 'nosuch', '--json'])
    expect(json.code).to.equal(2)
    const failure = JSON.parse(json.stdout)
    expect(failure).to.deep.include({status: 2})
    expect(failure.error.code).to.equal('USAGE')
    expect(failure.error.suggestions).to.include('codex-vault audit tail')
    const flagFirst = await cv(['--vault', home.vault, 'status'])
    expect(flagFirst.code).to.equal(2)
    expect(flagFirst.stderr).to.include('flags go after the command name')
  })

  it('lists the exit codes in the root help, and `help TOPIC` works', async () => {
    const help = await cv(['--help'])
    expect(help.code).to.equal(0)
    expect(help.stdout).to.match(/EXIT CODES\n {2}0 +success/)
    expect(help.stdout).to.match(/\n {2}10 +rollback or truncation/)
    expect(help.stdout).to.match(/secret +Provider keys in the vault/)
    const command = await cv(['grant', 'approve', '--help'])
    expect(command.stdout).to.include('EXIT CODES')
    const topic = await cv(['help', 'grant'])
    expect(topic.code, explain(topic)).to.equal(0)
    expect(topic.stdout).to.include('grant approve')
  })

  it('rewords oclif parse errors and adds the help command', async () => {
    const missing = await cv(['ci', 'export', '--asset', 'shop'])
    expect(missing.code).to.equal(2)
    expect(missing.stderr).to.equal('codex-vault: missing required flag --out\n  try: codex-vault ci export --help\n')
    const json = JSON.parse((await cv(['grant', 'list', '--bogus', '--json'])).stdout)
    expect(json.error.message).to.equal('nonexistent flag: --bogus')
    expect(json.error.suggestions).to.deep.equal(['codex-vault grant list --help'])
  })

  it('never echoes or stores a key typed where a name goes', async () => {
    const key = `sk-proj-${alnum(74)}T3BlbkFJ${alnum(74)}`
    const ciKey = `cvk1_${alnum(43)}`
    for (const args of [['secret', 'set', key], ['secret', 'rotate', key], ['secret', 'remove', key, '--json'], ['secret', 'set', 'openai', '--name', key], ['secret', 'set', 'openai', '--env', key]]) {
      const result = await cv(args, `sk-proj-${alnum(74)}T3BlbkFJ${alnum(74)}`)
      expect(result.code, explain(result)).to.equal(2)
      expect(result.stdout + result.stderr).to.match(/looks like a key \(sk-proj-…\(164\)\)/)
    }
    const flag = await cv(['run', '--asset', 'shop', `--key=${ciKey}`, '--', 'true'])
    expect(flag.code).to.equal(2)
    expect(flag.stderr).to.include('--key=cvk1_…(48)')
    const list = JSON.parse((await cv(['secret', 'list', '--json'])).stdout)
    expect(list.result.secrets).to.deep.equal([])
    for (const output of outputs) assertNoCanary(output, [key.slice(8), ciKey.slice(5)])
  })

  it('refuses a key as a --reason, and an env name run would refuse, before storing anything', async () => {
    const key = `sk-proj-${alnum(74)}T3BlbkFJ${alnum(74)}`
    const reason = await cv(['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference', '--reason', key])
    expect(reason.code, explain(reason)).to.equal(2)
    expect(reason.stderr).to.include('--reason looks like a key (sk-proj-…(164))')
    const env = await cv(['secret', 'set', 'openai', '--env', 'HTTPS_PROXY'], `sk-proj-${alnum(74)}T3BlbkFJ${alnum(74)}`)
    expect(env.code, explain(env)).to.equal(2)
    expect(env.stderr).to.include('refusing to inject HTTPS_PROXY')
    const list = JSON.parse((await cv(['secret', 'list', '--json'])).stdout)
    expect(list.result.secrets).to.deep.equal([])
    for (const output of outputs) assertNoCanary(output, [key.slice(8)])
  })

  it('ci export refuses an --out whose folders are missing more than one level deep', async () => {
    const out = join(home.dir, 'typo', 'deeper', 'shop.cv')
    const result = await cv(['ci', 'export', '--asset', 'shop', '--out', out])
    expect(result.code, explain(result)).to.equal(2)
    expect(result.stderr).to.include('does not exist; nothing was exported')
    expect(existsSync(join(home.dir, 'typo'))).to.equal(false)
  })
})
