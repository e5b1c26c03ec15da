/**
 * bind and the asset registry end to end on the built binary (`npx tsc -b` first), on one vault:
 * scan with a session (stored values found as 'vault-secret' leaks, masked), bind / re-bind with
 * diffs and overrides that survive rescans, asset names, one audit record per bind, and
 * asset list / show / disable / enable / remove.
 */
import {mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir, userInfo} from 'node:os'
import {dirname, join} from 'node:path'

import {expect} from 'chai'

import {type CliHome, type CliResult, assertNoCanary, explain, hasStackTrace, initVault, makeHome, randomCanary, runCli, unlock} from '../helpers/cli.js'

function writeTree(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = join(dir, rel)
    mkdirSync(dirname(abs), {recursive: true})
    writeFileSync(abs, content)
  }
}

interface AuditRecord {
  seq: number
  type: string
  asset?: string
  data?: Record<string, unknown>
}

const OPENAI_APP = {
  'package.json': '{\n  "name": "shop-app",\n  "dependencies": {\n    "openai": "^4.0.0"\n  }\n}\n',
  'index.js': "import OpenAI from 'openai'\nconst client = new OpenAI()\nexport default client\n",
  'README.md': '# shop\n\nStripe might come later.\n',
}
const ANTHROPIC_FILE = "import Anthropic from '@anthropic-ai/sdk'\nexport const claude = new Anthropic()\n"

describe('bind and the asset registry end to end', function () {
  this.timeout(180_000)
  let home: CliHome
  let work: string
  let passphrase: string
  let token: string
  /** a stored key (mistral has no key format, so any canary is accepted) */
  let stored: string

  before(async () => {
    home = makeHome('cv-e2e-bind-')
    work = mkdtempSync(join(tmpdir(), 'cv-e2e-bind-apps-'))
    passphrase = await initVault(home)
    token = await unlock(home, passphrase)
    stored = randomCanary()
    await cli(['secret', 'set', 'mistral'], 0, {input: stored})
  })

  after(() => {
    home?.cleanup()
    rmSync(work, {recursive: true, force: true})
  })

  async function cli(args: string[], code: number, options: {input?: string; session?: boolean} = {}): Promise<CliResult> {
    const env = options.session === false ? {CODEX_VAULT_SESSION: undefined} : {CODEX_VAULT_SESSION: token}
    const result = await runCli(args, {home, env, input: options.input})
    expect(result.timedOut, explain(result)).to.equal(false)
    expect(result.code, `${args.join(' ')}\n${explain(result)}`).to.equal(code)
    expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
    assertNoCanary(result.stdout + result.stderr, [stored, token, passphrase])
    return result
  }

  async function json<T = Record<string, unknown>>(args: string[], code = 0): Promise<T> {
    const result = await cli([...args, '--json'], code)
    const parsed = JSON.parse(result.stdout)
    expect(parsed.status).to.equal(code)
    return (code === 0 ? parsed.result : parsed.error) as T
  }

  async function assetRecords(): Promise<AuditRecord[]> {
    return (await json<{records: AuditRecord[]}>(['audit', 'tail', '-n', '200', '--type', 'asset'])).records
  }

  it('with a session, scan also reports exact copies of stored values as vault-secret leaks, masked', async () => {
    const app = join(work, 'copies')
    writeTree(app, {
      'package.json': '{"name": "copies"}\n',
      'src/settings.js': `// do not do this\nexport const mistralKey = '${stored}'\n`,
      '.env': `MISTRAL_API_KEY=${stored}\n`,
    })
    const expected = [
      {file: '.env', line: 1, rule: 'vault-secret', provider: 'mistral:MISTRAL_API_KEY', preview: '…(40)'},
      {file: 'src/settings.js', line: 2, rule: 'vault-secret', provider: 'mistral:MISTRAL_API_KEY', preview: '…(40)'},
    ]
    const withSession = await json<{leaks: unknown[]; evidence: unknown[]}>(['scan', app])
    expect(withSession.evidence).to.be.an('array')
    expect(withSession.leaks).to.have.deep.members(expected)
    const text = await cli(['scan', app], 0)
    expect(text.stdout).to.include(`src/settings.js:2  vault-secret (mistral:MISTRAL_API_KEY)  …(40)`)
    expect(text.stdout).to.not.include('built-in providers only')
    const failing = await cli(['scan', app, '--fail-on-leak'], 11)
    expect(failing.stderr).to.match(/^codex-vault: 2 hard-coded secret\(s\) found/m)

    // without a session the vault stays shut: built-in catalog only, no stored-value matching
    const locked = await cli(['scan', app, '--json'], 0, {session: false})
    // (the .env copy is still found by the name it is assigned to, rule env-assignment, when it looks random enough)
    expect(JSON.parse(locked.stdout).result.leaks.filter((l: {rule: string; file: string}) => l.rule === 'vault-secret' || l.file !== '.env')).to.deep.equal([])
  })

  it('binds, re-binds with a diff, keeps overrides across rescans, and records one audit event per bind', async () => {
    const app = join(work, 'shop')
    writeTree(app, OPENAI_APP)
    const root = realpathSync(app)

    // bind needs the vault open
    const noSession = await cli(['bind', app, '--name', 'shop'], 7, {session: false})
    expect(noSession.stderr).to.match(/^codex-vault: /m)

    const first = await json<{asset: string; path: string; created: boolean; capabilities: string[]; diff: {added: string[]; removed: string[]}}>(['bind', app, '--name', 'shop'])
    expect(first).to.deep.include({asset: 'shop', path: root, created: true})
    // a README mention is never injected by default
    expect(first.capabilities).to.deep.equal(['ai.openai.inference'])

    const list = await json<{assets: {name: string; path: string; owner: string; enabled: boolean; capabilities: string[]}[]}>(['asset', 'list'])
    expect(list.assets).to.have.length(1)
    expect(list.assets[0]).to.deep.include({name: 'shop', path: root, owner: userInfo().username, enabled: true, capabilities: ['ai.openai.inference']})

    const shown = await json<{asset: {name: string; path: string; owner: string; identity: {packageName?: string; fingerprint: string}; capabilities: {capability: string; confidence: string; env: string[]; evidence: {file: string; line: number; kind: string}[]}[]}; injectedByDefault: string[]}>(['asset', 'show', 'shop'])
    expect(shown.asset).to.deep.include({name: 'shop', path: root, owner: userInfo().username})
    expect(shown.asset.identity.packageName).to.equal('shop-app')
    expect(shown.asset.identity.fingerprint).to.match(/^[0-9a-f]{32}$/)
    const openai = shown.asset.capabilities.find((c) => c.capability === 'ai.openai.inference')!
    expect(openai).to.deep.include({confidence: 'required', env: ['OPENAI_API_KEY']})
    expect(openai.evidence).to.deep.include({file: 'index.js', line: 2, kind: 'sdk-constructor'})
    expect(shown.asset.capabilities.find((c) => c.capability === 'payments.stripe.api')).to.deep.include({confidence: 'mentioned'})
    expect(shown.injectedByDefault).to.deep.equal(['ai.openai.inference'])
    const showText = await cli(['asset', 'show', 'shop'], 0)
    expect(showText.stdout).to.include(shown.asset.identity.fingerprint)
    expect(showText.stdout).to.match(/index\.js:2 {2}sdk-constructor/)

    // the app starts using Anthropic: the re-bind shows it as added
    writeFileSync(join(app, 'claude.js'), ANTHROPIC_FILE)
    const rebind = await cli(['bind', app, '--name', 'shop'], 0)
    expect(rebind.stdout).to.include('updated asset shop')
    expect(rebind.stdout).to.match(/^ {2}\+ ai\.anthropic\.inference$/m)
    expect(rebind.stdout).to.match(/injected by default on run: ai\.anthropic\.inference, ai\.openai\.inference/)

    // ... and stops again, then starts again: the --json diff says so both ways
    rmSync(join(app, 'claude.js'))
    const removed = await json<{created: boolean; diff: {added: string[]; removed: string[]}}>(['bind', app, '--name', 'shop'])
    expect(removed.created).to.equal(false)
    expect(removed.diff).to.deep.include({added: [], removed: ['ai.anthropic.inference']})
    writeFileSync(join(app, 'claude.js'), ANTHROPIC_FILE)
    const added = await json<{diff: {added: string[]; removed: string[]}; capabilities: string[]}>(['bind', app, '--name', 'shop'])
    expect(added.diff).to.deep.include({added: ['ai.anthropic.inference'], removed: []})
    expect(added.capabilities).to.deep.equal(['ai.anthropic.inference', 'ai.openai.inference'])

    // overrides: bound = resolved + include - exclude, and a plain re-bind keeps them
    const overridden = await json<{capabilities: string[]; overrides: {include: string[]; exclude: string[]}; diff: {added: string[]; removed: string[]}}>([
      'bind', app, '--name', 'shop', '--capability', 'payments.stripe.api', '--exclude-capability', 'ai.openai.inference',
    ])
    expect(overridden.capabilities).to.deep.equal(['ai.anthropic.inference', 'payments.stripe.api'])
    expect(overridden.overrides).to.deep.equal({include: ['payments.stripe.api'], exclude: ['ai.openai.inference']})
    expect(overridden.diff).to.deep.include({added: ['payments.stripe.api'], removed: ['ai.openai.inference']})
    const plain = await json<{capabilities: string[]; overrides: {include: string[]; exclude: string[]}}>(['bind', app, '--name', 'shop'])
    expect(plain.capabilities).to.deep.equal(['ai.anthropic.inference', 'payments.stripe.api'])
    expect(plain.overrides).to.deep.equal({include: ['payments.stripe.api'], exclude: ['ai.openai.inference']})
    const plainText = await cli(['bind', app, '--name', 'shop'], 0)
    expect(plainText.stdout).to.include('always included: payments.stripe.api')
    expect(plainText.stdout).to.include('excluded: ai.openai.inference')
    expect(plainText.stdout).to.include('no change from the earlier binding')
    const afterOverrides = await json<{asset: {overrides: {include: string[]; exclude: string[]}; capabilities: {capability: string}[]}; injectedByDefault: string[]}>(['asset', 'show', 'shop'])
    expect(afterOverrides.injectedByDefault).to.deep.equal(['ai.anthropic.inference', 'payments.stripe.api'])
    // the resolved record still holds what the scan found; the override lives beside it
    expect(afterOverrides.asset.capabilities.map((c) => c.capability)).to.include('ai.openai.inference')

    // bad names and bad capabilities: exit 2, nothing recorded
    const beforeBad = await assetRecords()
    for (const name of ['../x', 'Has Space', 'a'.repeat(300)]) {
      const bad = await cli(['bind', app, '--name', name], 2)
      expect(bad.stderr).to.match(/^codex-vault: /m)
      expect(bad.stderr).to.include('asset name')
    }
    const badCap = await cli(['bind', app, '--name', 'shop', '--capability', 'not a capability'], 2)
    expect(badCap.stderr).to.match(/^codex-vault: /m)
    const missing = await cli(['bind', join(work, 'nope'), '--name', 'ghost'], 2)
    expect(missing.stderr).to.match(/no such folder/)
    expect(await assetRecords()).to.deep.equal(beforeBad)

    // one record per successful bind: 1 bind + 6 re-binds
    const records = beforeBad.filter((r) => r.asset === 'shop')
    expect(records.map((r) => r.type)).to.deep.equal(['asset.bind', ...Array(6).fill('asset.rebind')])
    const bindRecord = records[0]
    expect(bindRecord.data).to.deep.include({path: root, capabilities: ['ai.openai.inference'], identity: shown.asset.identity.fingerprint})
    expect(records[2].data).to.deep.include({removed: ['ai.anthropic.inference']})
  })

  it('a wildcard --exclude-capability is honoured, a wildcard --capability refused', async () => {
    const app = join(work, 'wild')
    writeTree(app, OPENAI_APP)
    const excluded = await cli(['bind', app, '--name', 'wild', '--exclude-capability', 'ai.*.inference', '--json'], 0)
    expect(JSON.parse(excluded.stdout).result.capabilities).to.not.include('ai.openai.inference')
    const included = await cli(['bind', app, '--name', 'wild2', '--capability', 'ai.*.inference', '--json'], 2)
    expect(JSON.parse(included.stdout).error.message).to.include('exact capability')
    await cli(['asset', 'remove', 'wild'], 0) // the next test expects shop alone
  })

  it('disable denies runs with the enable fix, enable lifts it, remove deletes the asset and its grants; unknown assets exit 2', async () => {
    const app = join(work, 'shop')
    // the previous test left shop bound; make this test stand alone when run by itself
    writeTree(app, {...OPENAI_APP, 'claude.js': ANTHROPIC_FILE})
    await cli(['bind', app, '--name', 'shop'], 0)

    const disabled = await json<{name: string; enabled: boolean; disabledReason?: string}>(['asset', 'disable', 'shop', '--reason', 'suspicious traffic'])
    expect(disabled).to.deep.include({name: 'shop', enabled: false, disabledReason: 'suspicious traffic'})
    const denied = await cli(['run', '--asset', 'shop', '--dry-run'], 6)
    expect(denied.stdout + denied.stderr).to.include('codex-vault asset enable shop')

    // a re-bind does not quietly re-enable it
    const rebound = await cli(['bind', app, '--name', 'shop'], 0)
    expect(rebound.stdout).to.include('updated asset shop')
    const stillDisabled = await cli(['run', '--asset', 'shop', '--dry-run'], 6)
    expect(stillDisabled.stdout + stillDisabled.stderr).to.include('codex-vault asset enable shop')

    const enabled = await json<{enabled: boolean}>(['asset', 'enable', 'shop'])
    expect(enabled.enabled).to.equal(true)
    const afterEnable = await cli(['run', '--asset', 'shop', '--dry-run'], 6)
    expect(afterEnable.stdout + afterEnable.stderr, 'no grant yet: a different denial').to.not.include('asset enable shop')
    expect(afterEnable.stdout + afterEnable.stderr).to.include('codex-vault grant approve --asset shop')

    await cli(['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference', '--ttl', '1h'], 0)
    await cli(['grant', 'approve', '--asset', 'shop', '--capability', 'ai.anthropic.inference', '--ttl', '1h'], 0)
    expect((await json<{grants: unknown[]}>(['asset', 'show', 'shop'])).grants).to.have.length(2)

    const removed = await json<{name: string; grantsRevoked: number}>(['asset', 'remove', 'shop'])
    expect(removed).to.deep.equal({name: 'shop', grantsRevoked: 2})
    expect((await json<{assets: unknown[]}>(['asset', 'list'])).assets).to.deep.equal([])

    // binding the name again starts clean: no old grants come back (not even as ended ones)
    const again = await json<{created: boolean}>(['bind', app, '--name', 'shop'])
    expect(again.created).to.equal(true)
    const grants = await json<{grants: {asset: string}[]}>(['grant', 'list', '--all'])
    expect(grants.grants.filter((g) => g.asset === 'shop')).to.deep.equal([])

    for (const command of [['asset', 'show', 'ghost'], ['asset', 'disable', 'ghost'], ['asset', 'remove', 'ghost']]) {
      const unknown = await cli(command, 2)
      expect(unknown.stderr).to.match(/^codex-vault: no asset named "ghost"/m)
      expect(unknown.stderr).to.include('codex-vault bind PATH --name ghost')
    }

    const types = (await assetRecords()).filter((r) => r.asset === 'shop').map((r) => r.type)
    expect(types.slice(-5)).to.deep.equal(['asset.disable', 'asset.rebind', 'asset.enable', 'asset.remove', 'asset.bind'])
  })
})
