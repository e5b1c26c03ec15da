/**
 * Run-only sessions (`unlock --run-only`), end to end on the built binary: what a coding agent
 * should hold. It runs apps (masked) and looks; it cannot approve itself, change secrets or
 * providers, export, or unmask; each refusal is exit 6 and an audit record; taking permissions
 * away still works; and its scope cannot be edited out of its session file.
 */
import {existsSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {assertNoCanary, explain} from '../helpers/cli.js'
import {type RunFixture, markerChild, runFixture} from '../permissions/e2e-fixture.js'

describe('run-only sessions (unlock --run-only) end to end', function () {
  this.timeout(120_000)
  let fx: RunFixture
  let agent: string
  const asAgent = {env: {CODEX_VAULT_SESSION: ''}}

  beforeEach(async () => {
    fx = await runFixture({grantShop: true})
    const unlock = await fx.cli(['unlock', '--run-only', '--raw', '--passphrase-stdin', '--ttl', '2h'], {input: fx.passphrase})
    expect(unlock.code, explain(unlock)).to.equal(0)
    expect(unlock.stderr).to.match(/run-only session \S+ unlocked until/)
    agent = unlock.stdout.trim()
    asAgent.env.CODEX_VAULT_SESSION = agent
  })
  afterEach(() => fx?.cleanup())

  const grants = async () => (JSON.parse((await fx.cli(['grant', 'list', '--all', '--json'])).stdout) as {result: {grants: unknown[]}}).result.grants
  const lastRecord = async () => (JSON.parse((await fx.cli(['audit', 'tail', '-n', '1', '--json'])).stdout) as {result: {records: {type: string; outcome: string; reason?: string; data?: Record<string, unknown>}[]}}).result.records[0]

  it('runs an app with the key masked, and can look: status, dry run, lists, the audit log', async () => {
    const run = await fx.cli(['run', '--asset', 'shop', '--', 'node', '-e', 'console.log("key:", process.env.OPENAI_API_KEY)'], asAgent)
    expect(run.code, explain(run)).to.equal(0)
    expect(run.stdout).to.include('key: [REDACTED:OPENAI_API_KEY]')
    assertNoCanary(run.stdout + run.stderr, [fx.keys.openai, agent])
    const status = await fx.cli(['status', '--json'], asAgent)
    expect(JSON.parse(status.stdout).result.session).to.include({scope: 'run'})
    expect((await fx.cli(['status'], asAgent)).stdout).to.include('run-only session until')
    for (const args of [['run', '--asset', 'shop', '--dry-run'], ['grant', 'list'], ['secret', 'list'], ['asset', 'list'], ['provider', 'list'], ['audit', 'tail'], ['audit', 'verify']]) {
      const result = await fx.cli(args, asAgent)
      expect(result.code, `${args.join(' ')}: ${explain(result)}`).to.equal(0)
    }
  })

  it('cannot approve itself or change anything: exit 6, a session.scope.deny record each, nothing changed', async () => {
    const before = await grants()
    const attempts: [string[], string?][] = [
      [['grant', 'approve', '--asset', 'other', '--capability', 'ai.openai.inference']],
      [['secret', 'set', 'openai', '--force'], 'sk-not-a-real-key-0000000000000000'],
      [['secret', 'remove', 'openai']],
      [['provider', 'add', join(fx.home.dir, 'providers.json')]],
      [['provider', 'remove', 'openai']],
      [['ci', 'export', '--asset', 'shop', '--out', join(fx.home.dir, 'ci.cv')]],
      [['bind', fx.shopApp, '--name', 'shop2']],
      [['asset', 'enable', 'shop']],
    ]
    writeFileSync(join(fx.home.dir, 'providers.json'), '[]')
    for (const [args, input] of attempts) {
      const shown = args.slice(0, args[0] === 'bind' ? 1 : 2).join(' ')
      const result = await fx.cli(args, {...asAgent, input})
      expect(result.code, `${shown}: ${explain(result)}`).to.equal(6)
      expect(result.stderr).to.include(`codex-vault: ${shown} is not allowed with a run-only session (unlock --run-only): only the vault's owner can approve or change anything`)
      const record = await lastRecord()
      expect(record).to.include({type: 'session.scope.deny', outcome: 'deny'})
      expect(record.data?.command).to.equal(args.slice(0, args[0] === 'bind' ? 1 : 2).join(' ')) // as users type it, not oclif's colon id
    }
    expect(existsSync(join(fx.home.dir, 'ci.cv')), 'no export was written').to.equal(false)
    expect(await grants()).to.deep.equal(before)
    const secrets = JSON.parse((await fx.cli(['secret', 'list', '--json'])).stdout).result
    expect(JSON.stringify(secrets)).to.include('"version":1')
  })

  it('cannot unmask: run --no-mask is refused before the child starts, and recorded', async () => {
    const marker = join(fx.markers, 'unmasked-started')
    const result = await fx.cli(['run', '--asset', 'shop', '--no-mask', '--', ...markerChild(marker)], asAgent)
    expect(result.code, explain(result)).to.equal(6)
    expect(result.stderr).to.include('--no-mask is not allowed with a run-only session').and.include('--mediate')
    expect(existsSync(marker)).to.equal(false)
    expect(await lastRecord()).to.include({type: 'run.deny', outcome: 'deny'})
  })

  it('a denial tells the agent that the approve command is the owner\'s to run', async () => {
    const revoke = await fx.cli(['grant', 'revoke', '--asset', 'shop'], asAgent)
    expect(revoke.code, 'taking a permission away is allowed').to.equal(0)
    const result = await fx.cli(['run', '--asset', 'shop', '--', 'true'], asAgent)
    expect(result.code, explain(result)).to.equal(6)
    expect(result.stderr).to.include('codex-vault grant approve --asset shop --capability ai.openai.inference').and.include('for the vault\'s owner, in their own shell')
  })

  it('its scope cannot be edited out of the session file (exit 7)', async () => {
    const before = await grants()
    const id = agent.split('.')[1]
    const dir = readdirSync(join(fx.home.runtimeDir, 'codex-vault')).map((vaultId) => join(fx.home.runtimeDir, 'codex-vault', vaultId)).find((folder) => existsSync(join(folder, id)))!
    const file = JSON.parse(readFileSync(join(dir, id), 'utf8')) as Record<string, unknown>
    delete file.scope
    writeFileSync(join(dir, id), JSON.stringify(file))
    const result = await fx.cli(['grant', 'approve', '--asset', 'other', '--capability', 'ai.openai.inference'], asAgent)
    expect(result.code, explain(result)).to.equal(7)
    expect(await grants()).to.deep.equal(before)
  })
})
