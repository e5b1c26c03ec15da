/**
 * `ci export` end to end on the built binary: the exported vault opens with CODEX_VAULT_KEY alone
 * (no session, a fresh home), holds only the asset's granted key, runs it masked, refuses policy
 * changes, denies after its TTL, and the key appears in no file and no audit record.
 */
import {existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {type CliResult, assertNoCanary, explain, makeHome, runCli, sleep} from '../helpers/cli.js'
import {type RunFixture, markerChild, runFixture} from '../permissions/e2e-fixture.js'

interface Exported {
  file: string
  key: string
  expires: string
  capabilities: {capability: string; env: string[]; expires: string; usesLeft: number | null}[]
}

function exportJson(result: CliResult): Exported {
  expect(result.code, explain(result)).to.equal(0)
  const doc = JSON.parse(result.stdout)
  expect(doc.status).to.equal(0)
  return doc.result as Exported
}

describe('ci export end to end', function () {
  this.timeout(180_000)
  let fx: RunFixture
  let ciHome: ReturnType<typeof makeHome>

  before(async () => {
    fx = await runFixture({grantShop: true})
    ciHome = makeHome('cv-e2e-ci-')
  })

  after(() => {
    fx?.cleanup()
    ciHome?.cleanup()
  })

  /** The CI side: a different home, no session, no passphrase; only the file and the key. */
  const ci = (file: string, key: string | undefined, args: string[]) =>
    runCli(args, {env: {HOME: ciHome.dir, XDG_RUNTIME_DIR: join(ciHome.dir, 'run'), CODEX_VAULT_FILE: file, CODEX_VAULT_KEY: key}})

  it('exports only the granted key; CI runs with CODEX_VAULT_KEY alone, masked; the key is written nowhere', async () => {
    const out = join(fx.markers, 'ci', 'shop.cv')
    const human = await fx.cli(['ci', 'export', '--asset', 'shop', '--out', out, '--ttl', '2h'])
    expect(human.code, explain(human)).to.equal(0)
    const key = /^CODEX_VAULT_KEY=(cvk1_[A-Za-z0-9_-]{43})$/m.exec(human.stdout)?.[1]
    expect(key, human.stdout).to.be.a('string')
    expect(human.stdout).to.include('ai.openai.inference  OPENAI_API_KEY')
    expect(statSync(out).mode & 0o777).to.equal(0o600)
    expect(statSync(`${out}.audit`).mode & 0o777).to.equal(0o600)

    const dump = join(fx.markers, 'ci-env.json')
    const run = await ci(out, key, ['run', '--asset', 'shop', '--', 'node', '-e',
      'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.env)); console.log("key=" + process.env.OPENAI_API_KEY)', dump])
    expect(run.code, explain(run)).to.equal(0)
    expect(run.stdout.trim()).to.equal('key=[REDACTED:OPENAI_API_KEY]')
    const env = JSON.parse(readFileSync(dump, 'utf8')) as Record<string, string>
    expect(env.OPENAI_API_KEY).to.equal(fx.keys.openai)
    expect(Object.keys(env).filter((name) => name.startsWith('CODEX_VAULT_'))).to.deep.equal([])

    const secrets = await ci(out, key, ['secret', 'list', '--json'])
    expect(secrets.code, explain(secrets)).to.equal(0)
    expect(JSON.parse(secrets.stdout).result.secrets.map((s: {provider: string}) => s.provider)).to.deep.equal(['openai'])
    const assets = JSON.parse((await ci(out, key, ['asset', 'list', '--json'])).stdout).result.assets
    expect(assets.map((a: {name: string}) => a.name)).to.deep.equal(['shop'])

    // the owner's log records the export with the same fingerprint CI's run record names
    const ownerTail = JSON.parse((await fx.cli(['audit', 'tail', '--json', '-n', '1', '--type', 'ci.export'])).stdout).result.records
    expect(ownerTail[0]).to.deep.include({type: 'ci.export', outcome: 'allow', asset: 'shop'})
    const ciTail = JSON.parse((await ci(out, key, ['audit', 'tail', '--json', '--type', 'run.allow'])).stdout).result.records
    expect(ciTail[0].data.secrets).to.deep.equal(ownerTail[0].data.secrets)

    // the key and the secrets are in no file of either home, in clear, and in no output but the export's
    for (const home of [fx.home.dir, ciHome.dir]) {
      for (const file of readdirSync(home, {recursive: true, withFileTypes: true})) {
        if (!file.isFile()) continue
        const path = join(file.parentPath, file.name)
        if (path === dump) continue
        assertNoCanary(readFileSync(path, 'latin1'), [key!, fx.keys.openai, fx.keys.anthropic, fx.keys.mistral], path)
      }
    }
    assertNoCanary(run.stdout + run.stderr + secrets.stdout, [key!, fx.keys.openai], 'CI output')
  })

  it('refuses policy changes inside the export, a wrong or malformed key, and works only until its TTL', async () => {
    const out = join(fx.markers, 'ci', 'short.cv')
    const exported = exportJson(await fx.cli(['ci', 'export', '--asset', 'shop', '--out', out, '--ttl', '15s', '--json']))
    expect(exported.capabilities.map((c) => c.capability)).to.deep.equal(['ai.openai.inference'])
    // grants inside never outlive the export
    expect(Date.parse(exported.capabilities[0].expires)).to.be.at.most(Date.parse(exported.expires))

    const approve = await ci(out, exported.key, ['grant', 'approve', '--asset', 'shop', '--capability', 'ai.anthropic.inference'])
    expect(approve.code, explain(approve)).to.equal(6)
    expect(approve.stderr).to.match(/^codex-vault: grant approve is not allowed in a ci export vault/m)
    const again = await ci(out, exported.key, ['ci', 'export', '--asset', 'shop', '--out', join(fx.markers, 'ci', 'again.cv')])
    expect(again.code, explain(again)).to.equal(6)
    const secretSet = await runCli(['secret', 'set', 'anthropic'], {input: fx.keys.anthropic, env: {HOME: ciHome.dir, CODEX_VAULT_FILE: out, CODEX_VAULT_KEY: exported.key}})
    expect(secretSet.code, explain(secretSet)).to.equal(6)

    // the default 7d outlives shop's 8h grant: the export says when it really stops working
    const otherResult = await fx.cli(['ci', 'export', '--asset', 'shop', '--out', join(fx.markers, 'ci', 'other.cv'), '--json'])
    const other = exportJson(otherResult)
    const warnings = JSON.parse(otherResult.stdout).warnings as string[]
    expect(warnings.join('\n')).to.match(/the grant for ai\.openai\.inference ends at .*before the export does.*grant approve --asset shop --capability ai\.openai\.inference --ttl 7d/)
    const wrong = await ci(out, other.key, ['run', '--asset', 'shop', '--', 'true'])
    expect(wrong.code, explain(wrong)).to.equal(4)
    expect(wrong.stderr).to.match(/^codex-vault: CODEX_VAULT_KEY does not open this vault/m)
    const malformed = await ci(out, 'not-a-key', ['run', '--asset', 'shop', '--', 'true'])
    expect(malformed.code, explain(malformed)).to.equal(2)
    assertNoCanary(malformed.stderr, ['not-a-key'], 'the malformed key message')

    const status = await ci(out, exported.key, ['status', '--json'])
    expect(status.code, explain(status)).to.equal(0)
    expect(status.stdout).to.include('ci export key: asset shop only')

    await sleep(Math.max(0, Date.parse(exported.expires) - Date.now()) + 500)
    const marker = join(fx.markers, 'expired-started')
    const expired = await ci(out, exported.key, ['run', '--asset', 'shop', '--', ...markerChild(marker)])
    expect(expired.code, explain(expired)).to.equal(6)
    expect(expired.stderr).to.match(/^codex-vault: this ci export of asset shop expired at /m)
    expect(existsSync(marker)).to.equal(false)
    // an expired export denies everything, reading its own log included
    const tail = await ci(out, exported.key, ['audit', 'tail', '--json'])
    expect(tail.code, explain(tail)).to.equal(6)
    expect(JSON.parse(tail.stdout).error.code).to.equal('POLICY_DENY')
  })

  it('refuses to export an asset whose capabilities are not all granted, or over an existing file', async () => {
    const other = await runFixture() // shop has no grant here
    try {
      const out = join(other.markers, 'denied.cv')
      const denied = await other.cli(['ci', 'export', '--asset', 'shop', '--out', out])
      expect(denied.code, explain(denied)).to.equal(6)
      expect(denied.stderr).to.match(/^codex-vault: ci export denied for asset shop: /m)
      expect(denied.stderr).to.include('codex-vault grant approve --asset shop --capability ai.openai.inference')
      expect(existsSync(out)).to.equal(false)
      const record = JSON.parse((await other.cli(['audit', 'tail', '--json', '-n', '1'])).stdout).result.records[0]
      expect(record).to.deep.include({type: 'ci.export', outcome: 'deny', asset: 'shop'})

      mkdirSync(join(other.markers, 'taken'))
      const taken = join(other.markers, 'taken', 'x.cv')
      await other.cli(['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference', '--uses', '2'])
      // an --out that cannot be written fails before any decision: exit 3, nothing recorded, no uses moved
      writeFileSync(join(other.markers, 'a-file'), 'x')
      const unwritable = await other.cli(['ci', 'export', '--asset', 'shop', '--out', join(other.markers, 'a-file', 'x.cv'), '--json'])
      expect(unwritable.code, explain(unwritable)).to.equal(3)
      expect(JSON.parse(unwritable.stdout).error).to.deep.include({code: 'VAULT_WRITE_FAILED'})
      expect(JSON.parse(unwritable.stdout).error.message).to.match(/^could not write the export .*x\.cv \((ENOTDIR|EEXIST)\)$/)
      const last = JSON.parse((await other.cli(['audit', 'tail', '--json', '-n', '1'])).stdout).result.records[0]
      expect(last.type, 'nothing was decided or recorded').to.equal('grant.approve')
      const folderMode = statSync(join(other.markers, 'taken')).mode & 0o777
      const exported = exportJson(await other.cli(['ci', 'export', '--asset', 'shop', '--out', taken, '--json']))
      expect(exported.file).to.equal(taken)
      // the two uses moved into the export; the owner's grant has none left, so the total stays two
      expect(exported.capabilities[0].usesLeft).to.equal(2)
      const ownerGrants = JSON.parse((await other.cli(['grant', 'list', '--asset', 'shop', '--all', '--json'])).stdout).result
      expect(JSON.stringify(ownerGrants)).to.match(/"usesLeft":0/)
      const ownerRun = await other.cli(['run', '--asset', 'shop', '--', 'true'])
      expect(ownerRun.code, explain(ownerRun)).to.equal(6)
      // an existing folder (a repo's .ci/) keeps its mode; the file itself is 0600
      expect(statSync(join(other.markers, 'taken')).mode & 0o777).to.equal(folderMode)
      expect(statSync(taken).mode & 0o777).to.equal(0o600)
      const twice = await other.cli(['ci', 'export', '--asset', 'shop', '--out', taken])
      expect(twice.code, explain(twice)).to.equal(2)
      expect(twice.stderr).to.match(/already exists; nothing was changed/)
      const tooLong = await other.cli(['ci', 'export', '--asset', 'shop', '--out', join(other.markers, 'long.cv'), '--ttl', '365d'])
      expect(tooLong.code, explain(tooLong)).to.equal(2)
    } finally {
      other.cleanup()
    }
  })
})
