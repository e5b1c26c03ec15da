/**
 * bind's registry rules end to end (built binary): an existing asset is not re-pointed at another
 * folder without --force (and then the move is shown, warned and audited), overrides must name
 * offered capabilities and not contradict each other, --reset-overrides drops them, and evidence
 * that only moved to other lines is not reported as a change.
 */
import {mkdirSync, realpathSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {type CliHome, type CliResult, explain, hasStackTrace, initVault, makeHome, runCli, unlock} from '../helpers/cli.js'

describe('bind: moves and overrides end to end', function () {
  this.timeout(300_000)
  let home: CliHome
  let token: string
  let shop: string
  let other: string

  async function cv(args: string[], code: number): Promise<CliResult> {
    const result = await runCli(args, {home, env: {CODEX_VAULT_SESSION: token}, timeoutMs: 120_000})
    expect(result.timedOut, explain(result)).to.equal(false)
    expect(result.code, `${args.join(' ')}\n${explain(result)}`).to.equal(code)
    expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
    return result
  }

  function app(name: string, files: Record<string, string>): string {
    const dir = join(home.dir, 'apps', name)
    mkdirSync(dir, {recursive: true})
    for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content)
    return realpathSync(dir)
  }

  before(async () => {
    home = makeHome('cv-e2e-bind-policy-')
    token = await unlock(home, await initVault(home))
    shop = app('shop', {'package.json': '{"name": "shop", "dependencies": {"openai": "4"}}\n', 'index.js': "import OpenAI from 'openai'\nnew OpenAI()\n"})
    other = app('other', {'package.json': '{"name": "other"}\n', 'run.js': 'console.log(1)\n'})
    await cv(['bind', shop, '--name', 'shop'], 0)
    await cv(['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference'], 0)
  })

  after(() => home?.cleanup())

  it('refuses to re-point shop at an unrelated folder; --force moves it, shows and audits the change', async () => {
    const refused = await cv(['bind', other, '--name', 'shop'], 2)
    expect(refused.stdout).to.equal('')
    expect(refused.stderr).to.include(`codex-vault: asset shop is bound to another app: folder ${shop} -> ${other}; package name "shop" -> "other"`)
    expect(refused.stderr).to.include(`run again with --force (its 1 active grant(s) then cover the code in ${other})`)
    expect(refused.stderr).to.include(`codex-vault bind ${other} --name NEW-NAME`)
    const shown = JSON.parse((await cv(['asset', 'show', 'shop', '--json'], 0)).stdout).result
    expect(shown.asset.path).to.equal(shop)

    const moved = JSON.parse((await cv(['bind', other, '--name', 'shop', '--force', '--json'], 0)).stdout)
    expect(moved.result.path).to.equal(other)
    expect(moved.result.diff.identity).to.deep.equal({path: {from: shop, to: other}, packageName: {from: 'shop', to: 'other'}})
    expect(moved.warnings).to.deep.equal([`asset shop now points at ${other}: its grants cover the code there`])
    const [record] = JSON.parse((await cv(['audit', 'tail', '-n', '1', '--type', 'asset', '--json'], 0)).stdout).result.records
    expect(record).to.deep.include({type: 'asset.rebind', asset: 'shop'})
    expect(record.data).to.deep.include({forced: true, path: other, identityChanges: [`folder ${shop} -> ${other}`, 'package name "shop" -> "other"']})

    // back, with the human output: the move is listed with the diff
    const back = await cv(['bind', shop, '--name', 'shop', '--force'], 0)
    expect(back.stdout).to.include(`  ~ folder ${other} -> ${shop}\n  ~ package name "other" -> "shop"\n  + ai.openai.inference`)
    expect(back.stderr).to.include(`codex-vault: warning: asset shop now points at ${shop}`)
  })

  it('a re-bind of the same folder where only line numbers moved reports no change', async () => {
    writeFileSync(join(shop, 'index.js'), "// the client\n\nimport OpenAI from 'openai'\nnew OpenAI()\n")
    const rebind = await cv(['bind', shop, '--name', 'shop'], 0)
    expect(rebind.stdout).to.include('index.js:4  sdk-constructor')
    expect(rebind.stdout).to.include('no change from the earlier binding')
    expect(rebind.stdout).to.not.include('  ~ ')
    expect(rebind.stderr).to.equal('')
  })

  it('refuses capabilities no provider offers and contradictory overrides; --reset-overrides drops earlier ones', async () => {
    const unknown = await cv(['bind', shop, '--name', 'shop', '--capability', 'ai.nothere.inference'], 2)
    expect(unknown.stderr).to.include('codex-vault: --capability ai.nothere.inference: no provider offers ai.nothere.inference; see codex-vault provider list')
    const both = JSON.parse((await cv(['bind', shop, '--name', 'shop', '--capability', 'payments.stripe.api', '--exclude-capability', 'payments.stripe.api', '--json'], 2)).stdout)
    expect(both.error).to.deep.include({code: 'INVALID_INPUT', message: '--capability payments.stripe.api and --exclude-capability payments.stripe.api contradict each other'})

    const wild = await cv(['bind', shop, '--name', 'shop', '--capability', 'payments.stripe.api', '--exclude-capability', 'ai.*.inference'], 0)
    expect(wild.stdout).to.include('  + payments.stripe.api\n  - ai.openai.inference')
    const reset = await cv(['bind', shop, '--name', 'shop', '--reset-overrides'], 0)
    expect(reset.stdout).to.include('  + ai.openai.inference\n  - payments.stripe.api')
    expect(reset.stdout).to.not.include('always included')
    expect(reset.stdout).to.include('injected by default on run: ai.openai.inference')
    const help = await cv(['bind', '--help'], 0)
    expect(help.stdout).to.include('--reset-overrides').and.include('--force')
  })
})
