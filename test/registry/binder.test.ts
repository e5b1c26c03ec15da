/**
 * bindAsset, setAssetEnabled and removeAsset on an in-memory vault with real scans of temp apps:
 * overrides kept across rescans, diffs, identity, one audit event per change, monorepo union.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {VaultError} from '../../src/cli/errors.js'
import {bindAsset} from '../../src/ingest/binder.js'
import {assetIdentity} from '../../src/ingest/identity.js'
import {scanProject} from '../../src/ingest/scan.js'
import {removeAsset, setAssetEnabled} from '../../src/registry/assets.js'
import {loadCatalog} from '../../src/secrets/providers/catalog.js'
import {T0, asset, body, fakeVault, grant, tempTree} from './fixtures.js'

const providers = loadCatalog([]).providers
const scan = (root: string) => scanProject({root, providers, workers: 0})

const OPENAI_APP = {
  'package.json': '{\n  "name": "shop-app",\n  "dependencies": {"openai": "^4"}\n}\n',
  'index.js': "import OpenAI from 'openai'\nexport const c = new OpenAI()\n",
}

async function rejects(promise: Promise<unknown>, exit: number): Promise<VaultError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(VaultError)
    expect((error as VaultError).exitCode).to.equal(exit)
    return error as VaultError
  }
  throw new Error('expected a rejection')
}

describe('registry: bindAsset', () => {
  it('registers, then reports added / removed / changed on each re-bind, one audit event each', async () => {
    const app = tempTree(OPENAI_APP)
    try {
      const fake = fakeVault()
      const first = await bindAsset(fake.vault, {name: 'shop', scan: await scan(app.dir), include: [], exclude: [], owner: 'ada', now: T0})
      expect(first).to.deep.include({asset: 'shop', created: true, capabilities: ['ai.openai.inference'], leaks: 0})
      expect(first.diff).to.deep.equal({added: ['ai.openai.inference'], removed: [], changed: []})
      const record = fake.body.assets[0]
      expect(record).to.deep.include({name: 'shop', owner: 'ada', enabled: true, created: T0.toISOString(), updated: T0.toISOString()})
      expect(record.identity).to.deep.equal(assetIdentity(record.path, 'shop-app'))
      expect(fake.events.map((e) => e.type)).to.deep.equal(['asset.bind'])

      // same capability, new evidence -> changed; a new provider -> added; owner and created kept
      app.write({'more.js': "import OpenAI from 'openai'\n", 'claude.js': "import Anthropic from '@anthropic-ai/sdk'\nnew Anthropic()\n"})
      const later = new Date(T0.getTime() + 60_000)
      const second = await bindAsset(fake.vault, {name: 'shop', scan: await scan(app.dir), include: [], exclude: [], now: later})
      expect(second.created).to.equal(false)
      expect(second.diff.added).to.deep.equal(['ai.anthropic.inference'])
      expect(second.diff.removed).to.deep.equal([])
      expect(second.diff.changed).to.deep.equal([{capability: 'ai.openai.inference', from: 'required, 3 evidence', to: 'required, 4 evidence'}])
      expect(fake.body.assets[0]).to.deep.include({owner: 'ada', created: T0.toISOString(), updated: later.toISOString()})
      expect(fake.body.assets).to.have.length(1)
      expect(fake.events.map((e) => e.type)).to.deep.equal(['asset.bind', 'asset.rebind'])
      expect(fake.events[1].data).to.deep.include({added: ['ai.anthropic.inference'], removed: []})
    } finally {
      app.cleanup()
    }
  })

  it('keeps overrides across plain re-binds; a later exclude cancels an include and the other way round', async () => {
    const app = tempTree(OPENAI_APP)
    try {
      const fake = fakeVault()
      const scanned = await scan(app.dir)
      const bind = (include: string[], exclude: string[]) => bindAsset(fake.vault, {name: 'shop', scan: scanned, include, exclude, now: T0})
      const withOverrides = await bind(['payments.stripe.api'], ['ai.openai.inference'])
      expect(withOverrides.capabilities).to.deep.equal(['payments.stripe.api'])
      expect(withOverrides.overrides).to.deep.equal({include: ['payments.stripe.api'], exclude: ['ai.openai.inference']})
      const plain = await bind([], [])
      expect(plain.capabilities).to.deep.equal(['payments.stripe.api'])
      expect(plain.overrides).to.deep.equal({include: ['payments.stripe.api'], exclude: ['ai.openai.inference']})
      expect(plain.diff).to.deep.equal({added: [], removed: [], changed: []})
      const flipped = await bind(['ai.openai.inference'], ['payments.stripe.api'])
      expect(flipped.overrides).to.deep.equal({include: ['ai.openai.inference'], exclude: ['payments.stripe.api']})
      expect(flipped.capabilities).to.deep.equal(['ai.openai.inference'])
      expect(flipped.diff).to.deep.include({added: ['ai.openai.inference'], removed: ['payments.stripe.api']})
    } finally {
      app.cleanup()
    }
  })

  it('refuses bad names and bad capabilities before changing anything', async () => {
    const app = tempTree(OPENAI_APP)
    try {
      const fake = fakeVault(body({assets: [asset('other')]}))
      const scanned = await scan(app.dir)
      for (const name of ['../x', 'Has Space', 'a'.repeat(300)]) {
        await rejects(bindAsset(fake.vault, {name, scan: scanned, include: [], exclude: [], now: T0}), 2)
      }
      for (const bad of ['openai', 'ai..inference', 'ai.openai.inference.extra', 'ai.open ai.inference']) {
        await rejects(bindAsset(fake.vault, {name: 'shop', scan: scanned, include: [bad], exclude: [], now: T0}), 2)
        await rejects(bindAsset(fake.vault, {name: 'shop', scan: scanned, include: [], exclude: [bad], now: T0}), 2)
      }
      expect(fake.body.assets.map((a) => a.name)).to.deep.equal(['other'])
      expect(fake.events).to.deep.equal([])
    } finally {
      app.cleanup()
    }
  })

  it('binds a monorepo as one asset: the union of its apps, the root package as identity', async () => {
    const repo = tempTree({
      'package.json': '{"name": "mono", "private": true, "workspaces": ["apps/*"]}\n',
      'apps/web/package.json': '{"name": "web", "dependencies": {"openai": "^4"}}\n',
      'apps/web/ai.js': "import OpenAI from 'openai'\nnew OpenAI()\n",
      'apps/api/package.json': '{"name": "api", "dependencies": {"stripe": "^14"}}\n',
      'apps/api/pay.js': "import Stripe from 'stripe'\nnew Stripe(process.env.STRIPE_SECRET_KEY)\n",
      'apps/api/README.md': 'We also talk about OpenAI here.\n',
    })
    try {
      const fake = fakeVault()
      const result = await bindAsset(fake.vault, {name: 'mono', scan: await scan(repo.dir), include: [], exclude: [], now: T0})
      expect(result.capabilities).to.deep.equal(['ai.openai.inference', 'payments.stripe.api'])
      const openai = result.resolved.find((c) => c.capability === 'ai.openai.inference')!
      // the strongest confidence across apps wins
      expect(openai.confidence).to.equal('required')
      expect(openai.evidence.map((e) => e.file)).to.include.members(['apps/web/ai.js', 'apps/api/README.md'])
      expect(fake.body.assets[0].identity.packageName).to.equal('mono')
    } finally {
      repo.cleanup()
    }
  })
})

describe('registry: identity', () => {
  it('depends on path, package name and git remote, and drops credentials from the remote', () => {
    const app = tempTree({})
    try {
      const bare = assetIdentity(app.dir, undefined)
      expect(bare).to.deep.equal({fingerprint: bare.fingerprint})
      expect(bare.fingerprint).to.match(/^[0-9a-f]{32}$/)
      expect(assetIdentity(app.dir, undefined)).to.deep.equal(bare)
      const named = assetIdentity(app.dir, 'shop')
      expect(named.packageName).to.equal('shop')
      expect(named.fingerprint).to.not.equal(bare.fingerprint)
      expect(assetIdentity(`${app.dir}/`, undefined).fingerprint).to.not.equal(bare.fingerprint)

      const token = `ghp_${'Z9'.repeat(18)}`
      mkdirSync(join(app.dir, '.git'))
      writeFileSync(join(app.dir, '.git', 'config'), `[core]\n\tbare = false\n[remote "upstream"]\n\turl = https://other/x.git\n[remote "origin"]\n\turl = https://bot:${token}@github.com/acme/shop.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`)
      const remote = assetIdentity(app.dir, 'shop')
      expect(remote.gitRemote).to.equal('https://github.com/acme/shop.git')
      expect(JSON.stringify(remote)).to.not.include(token)
      expect(remote.fingerprint).to.not.equal(named.fingerprint)
    } finally {
      app.cleanup()
    }
  })
})

describe('registry: setAssetEnabled and removeAsset', () => {
  it('disables with a reason, enables (dropping the reason), each with its audit event', async () => {
    const fake = fakeVault(body({assets: [asset('shop')]}))
    const later = new Date(T0.getTime() + 1000)
    const off = await setAssetEnabled(fake.vault, {name: 'shop', enabled: false, reason: 'leaked key', now: later})
    expect(off).to.deep.include({name: 'shop', enabled: false, disabledReason: 'leaked key', updated: later.toISOString()})
    const on = await setAssetEnabled(fake.vault, {name: 'shop', enabled: true, now: later})
    expect(on.enabled).to.equal(true)
    expect(on).to.not.have.property('disabledReason')
    expect(fake.body.assets[0]).to.not.have.property('disabledReason')
    expect(fake.events.map((e) => [e.type, e.asset, e.reason])).to.deep.equal([['asset.disable', 'shop', 'leaked key'], ['asset.enable', 'shop', undefined]])
  })

  it('removes an asset with its grants only, and refuses unknown names without an event', async () => {
    const fake = fakeVault(body({
      assets: [asset('shop'), asset('blog')],
      grants: [grant('shop', 'ai.openai.inference'), grant('blog', 'ai.openai.inference'), grant('shop', 'payments.stripe.api')],
    }))
    expect(await removeAsset(fake.vault, {name: 'shop'})).to.deep.equal({name: 'shop', grantsRevoked: 2})
    expect(fake.body.assets.map((a) => a.name)).to.deep.equal(['blog'])
    expect(fake.body.grants.map((g) => g.asset)).to.deep.equal(['blog'])
    expect(fake.events).to.deep.equal([{type: 'asset.remove', outcome: 'ok', asset: 'shop', data: {grantsRemoved: 2}}])

    for (const attempt of [
      removeAsset(fake.vault, {name: 'shop'}),
      setAssetEnabled(fake.vault, {name: 'ghost', enabled: false, now: T0}),
      setAssetEnabled(fake.vault, {name: 'ghost', enabled: true, now: T0}),
    ]) {
      const error = await rejects(attempt, 2)
      expect(error.message).to.match(/^no asset named "/)
    }
    expect(fake.events).to.have.length(1)
  })
})
