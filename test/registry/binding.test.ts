/**
 * bindWithPolicy on an in-memory vault with real scans of temp apps: an existing asset does not
 * move to another folder or app without --force, overrides must make sense and can be reset, and
 * the diff does not report evidence that only moved to other lines.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {VaultError} from '../../src/cli/errors.js'
import {scanProject} from '../../src/ingest/scan.js'
import {type BindRequest, bindWithPolicy} from '../../src/registry/binding.js'
import {loadCatalog} from '../../src/secrets/providers/catalog.js'
import {T0, fakeVault, grant, tempTree} from './fixtures.js'

const providers = loadCatalog([]).providers
const scan = (root: string) => scanProject({root, providers, workers: 0})

const OPENAI_APP = {
  'package.json': '{\n  "name": "shop-app",\n  "dependencies": {"openai": "^4"}\n}\n',
  'index.js': "import OpenAI from 'openai'\nexport const c = new OpenAI()\n",
}
const STRIPE_APP = {
  'package.json': '{"name": "billing", "dependencies": {"stripe": "^14"}}\n',
  'pay.js': "import Stripe from 'stripe'\nnew Stripe(process.env.STRIPE_SECRET_KEY)\n",
}

async function rejects(promise: Promise<unknown>): Promise<VaultError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(VaultError)
    expect((error as VaultError).code).to.equal('INVALID_INPUT')
    expect((error as VaultError).exitCode).to.equal(2)
    return error as VaultError
  }
  throw new Error('expected a rejection')
}

describe('registry: bindWithPolicy', () => {
  const apps: ReturnType<typeof tempTree>[] = []
  const app = (files: Record<string, string>) => {
    const tree = tempTree(files)
    apps.push(tree)
    return tree
  }
  after(() => apps.forEach((tree) => tree.cleanup()))

  async function bind(fake: ReturnType<typeof fakeVault>, dir: string, extra: Partial<BindRequest> = {}) {
    return bindWithPolicy(fake.vault, {name: 'shop', scan: await scan(dir), include: [], exclude: [], owner: 'ada', now: T0, ...extra})
  }

  it('refuses to re-point an existing asset at an unrelated folder, saying what changed; nothing is written', async () => {
    const shop = app(OPENAI_APP)
    const other = app(STRIPE_APP)
    const fake = fakeVault()
    await bind(fake, shop.dir)
    fake.body.grants.push(grant('shop', 'ai.openai.inference'))
    const before = structuredClone(fake.body)
    const error = await rejects(bind(fake, other.dir))
    expect(error.message).to.equal(`asset shop is bound to another app: folder ${shop.dir} -> ${other.dir}; package name "shop-app" -> "billing"`)
    expect(error.suggestions).to.deep.equal([
      `if it is the same app, moved or renamed, run again with --force (its 1 active grant(s) then cover the code in ${other.dir})`,
      `to register a different app, give it a name of its own: codex-vault bind ${other.dir} --name NEW-NAME`,
    ])
    expect(fake.body).to.deep.equal(before)
    expect(fake.events.map((e) => e.type)).to.deep.equal(['asset.bind'])
  })

  it('with force: moves it, shows the change in the diff and audits old and new identity', async () => {
    const shop = app(OPENAI_APP)
    const other = app(STRIPE_APP)
    const fake = fakeVault()
    await bind(fake, shop.dir)
    const oldFingerprint = fake.body.assets[0].identity.fingerprint
    const moved = await bind(fake, other.dir, {force: true})
    expect(moved.path).to.equal(other.dir)
    expect(moved.diff).to.deep.equal({
      added: ['payments.stripe.api'], removed: ['ai.openai.inference'], changed: [],
      identity: {path: {from: shop.dir, to: other.dir}, packageName: {from: 'shop-app', to: 'billing'}},
    })
    expect(fake.events[1]).to.deep.include({type: 'asset.rebind', asset: 'shop'})
    expect(fake.events[1].data).to.deep.include({
      path: other.dir, added: ['payments.stripe.api'], removed: ['ai.openai.inference'], forced: true, previousIdentity: oldFingerprint,
      identityChanges: [`folder ${shop.dir} -> ${other.dir}`, 'package name "shop-app" -> "billing"'],
    })
  })

  it('a re-bind of the same folder is unchanged; a package rename there needs --force, a first git remote does not', async () => {
    const shop = app(OPENAI_APP)
    const fake = fakeVault()
    await bind(fake, shop.dir)
    const same = await bind(fake, shop.dir)
    expect(same.diff).to.deep.equal({added: [], removed: [], changed: []})
    expect(fake.events[1].data).to.not.have.any.keys('forced', 'identityChanges')

    mkdirSync(join(shop.dir, '.git'))
    writeFileSync(join(shop.dir, '.git', 'config'), '[remote "origin"]\n\turl = https://github.com/acme/shop.git\n')
    const remote = await bind(fake, shop.dir)
    expect(remote.diff.identity).to.deep.equal({gitRemote: {from: null, to: 'https://github.com/acme/shop.git'}})
    expect(fake.events[2].data).to.deep.include({identityChanges: ['git remote (none) -> https://github.com/acme/shop.git']})
    expect(fake.events[2].data).to.not.have.property('forced')

    shop.write({'package.json': OPENAI_APP['package.json'].replace('shop-app', 'other-app')})
    const renamed = await rejects(bind(fake, shop.dir))
    expect(renamed.message).to.equal('asset shop is bound to another app: package name "shop-app" -> "other-app"')
    expect((await bind(fake, shop.dir, {force: true})).diff.identity).to.deep.equal({packageName: {from: 'shop-app', to: 'other-app'}})
  })

  it('does not report evidence that only moved to other lines; other findings are named', async () => {
    const shop = app(OPENAI_APP)
    const fake = fakeVault()
    await bind(fake, shop.dir)
    shop.write({'index.js': `// a comment\n\n${OPENAI_APP['index.js']}`})
    const moved = await bind(fake, shop.dir)
    expect(moved.diff).to.deep.equal({added: [], removed: [], changed: []})
    expect(fake.body.assets[0].capabilities[0].evidence.some((e) => e.line > 2)).to.equal(true)

    shop.write({'index.js': "import OpenAI from 'openai'\n", 'client.js': 'export const c = new OpenAI()\n'})
    const other = await bind(fake, shop.dir)
    expect(other.diff.changed).to.deep.equal([{
      capability: 'ai.openai.inference', from: 'required, 3 evidence (index.js sdk-constructor)', to: 'required, 3 evidence (client.js sdk-constructor)',
    }])
  })

  it('refuses an include no provider offers, and an exact exclude that matches nothing; a wildcard exclude works', async () => {
    const shop = app(OPENAI_APP)
    const fake = fakeVault()
    const include = await rejects(bind(fake, shop.dir, {include: ['ai.nothere.inference']}))
    expect(include.message).to.equal('--capability ai.nothere.inference: no provider offers ai.nothere.inference; see codex-vault provider list')
    const exclude = await rejects(bind(fake, shop.dir, {exclude: ['ai.opnai.inference']}))
    expect(exclude.message).to.equal('--exclude-capability ai.opnai.inference: no provider offers ai.opnai.inference; see codex-vault provider list')
    expect(fake.events).to.deep.equal([])
    const wild = await bind(fake, shop.dir, {exclude: ['ai.*.inference', 'ai.nothere.*']})
    expect(wild.capabilities).to.deep.equal([])
    expect(wild.overrides).to.deep.equal({include: [], exclude: ['ai.*.inference', 'ai.nothere.*']})
  })

  it('refuses contradictory overrides, in one request or against an earlier pattern', async () => {
    const shop = app(OPENAI_APP)
    const fake = fakeVault()
    const same = await rejects(bind(fake, shop.dir, {include: ['payments.stripe.api'], exclude: ['payments.stripe.api']}))
    expect(same.message).to.equal('--capability payments.stripe.api and --exclude-capability payments.stripe.api contradict each other')
    await rejects(bind(fake, shop.dir, {include: ['ai.openai.inference'], exclude: ['ai.*.inference']}))
    expect(fake.events).to.deep.equal([])

    await bind(fake, shop.dir, {exclude: ['ai.*.inference']})
    const earlier = await rejects(bind(fake, shop.dir, {include: ['ai.openai.inference']}))
    expect(earlier.message).to.equal('--capability ai.openai.inference is excluded by the asset\'s earlier --exclude-capability ai.*.inference')
    expect(earlier.suggestions[0]).to.include('--reset-overrides')
    expect(fake.body.assets[0].overrides).to.deep.equal({include: [], exclude: ['ai.*.inference']})
  })

  it('resetOverrides drops earlier overrides (then applies the new ones); a new exclude pattern drops the includes it matches', async () => {
    const shop = app(OPENAI_APP)
    const fake = fakeVault()
    await bind(fake, shop.dir, {include: ['payments.stripe.api', 'ai.anthropic.inference'], exclude: ['ai.openai.inference']})
    expect(fake.body.assets[0].overrides).to.deep.equal({include: ['ai.anthropic.inference', 'payments.stripe.api'], exclude: ['ai.openai.inference']})
    const narrowed = await bind(fake, shop.dir, {exclude: ['ai.*.*']})
    expect(narrowed.overrides).to.deep.equal({include: ['payments.stripe.api'], exclude: ['ai.*.*', 'ai.openai.inference']})
    expect(narrowed.diff).to.deep.include({added: [], removed: ['ai.anthropic.inference']})

    const reset = await bind(fake, shop.dir, {resetOverrides: true})
    expect(reset.overrides).to.deep.equal({include: [], exclude: []})
    expect(reset.capabilities).to.deep.equal(['ai.openai.inference'])
    expect(reset.diff).to.deep.include({added: ['ai.openai.inference'], removed: ['payments.stripe.api']})
    expect(fake.events.at(-1)!.data).to.deep.include({overridesReset: true, added: ['ai.openai.inference'], removed: ['payments.stripe.api']})

    const resetAndSet = await bind(fake, shop.dir, {resetOverrides: true, include: ['payments.stripe.api']})
    expect(resetAndSet.overrides).to.deep.equal({include: ['payments.stripe.api'], exclude: []})
  })
})
