/** The asset registry's pure parts: names, what a binding injects by default, summaries, lookups. */
import {expect} from 'chai'

import {boundCapabilities, checkAssetName, listAssets, requireAsset, summarise} from '../../src/registry/assets.js'
import type {AssetRecord} from '../../src/secrets/vault-schema.js'
import {asset, body} from './fixtures.js'
import {usage} from '../helpers/errors.js'

describe('registry/assets', () => {
  describe('checkAssetName', () => {
    it('accepts lowercase names with digits, dots, dashes and underscores up to 63 characters', () => {
      for (const name of ['shop', 'a', '0', 'my-app', 'my_app', 'api.v2', 'x'.repeat(63), '9lives']) expect(checkAssetName(name)).to.equal(name)
    })

    it('refuses path tricks, spaces, capitals, empty and overlong names, without echoing anything but the name', () => {
      for (const name of ['', '../x', '..', 'a..b', 'x/y', 'x\\y', '.hidden', '-flag', '_x', 'Has Space', 'Shop', 'shop ', ' shop', 'x'.repeat(64), 'a'.repeat(300), 'ü', 'a\nb', 'a\u0000b']) {
        const error = usage(() => checkAssetName(name))
        expect(error.message, name).to.match(/^asset name ".*" must be 1-63 lowercase letters/s)
      }
    })
  })

  describe('boundCapabilities', () => {
    const resolved: AssetRecord = asset('shop', [
      {capability: 'ai.openai.inference', provider: 'openai', confidence: 'required'},
      {capability: 'payments.stripe.api', provider: 'stripe', confidence: 'likely'},
      {capability: 'ai.anthropic.inference', provider: 'anthropic', confidence: 'mentioned'},
    ])

    it('injects required and likely capabilities, never mentioned ones', () => {
      expect(boundCapabilities(resolved)).to.deep.equal(['ai.openai.inference', 'payments.stripe.api'])
    })

    it('is resolved + include - exclude, sorted and without duplicates', () => {
      const overridden = {...resolved, overrides: {include: ['ai.anthropic.inference', 'ai.openai.inference', 'storage.s3.api'], exclude: ['payments.stripe.api']}}
      expect(boundCapabilities(overridden)).to.deep.equal(['ai.anthropic.inference', 'ai.openai.inference', 'storage.s3.api'])
    })

    it('lets an exclude win over an include of the same capability', () => {
      const both = {...resolved, overrides: {include: ['storage.s3.api'], exclude: ['storage.s3.api', 'ai.openai.inference']}}
      expect(boundCapabilities(both)).to.deep.equal(['payments.stripe.api'])
    })

    it('a wildcard exclude removes every capability it matches', () => {
      const wildcard = {...resolved, overrides: {include: [], exclude: ['ai.*.inference']}}
      expect(boundCapabilities(wildcard)).to.deep.equal(['payments.stripe.api'])
    })
  })

  describe('summarise, listAssets and requireAsset', () => {
    it('summarises an asset with its bound capabilities and keeps a disable reason', () => {
      const disabled = asset('shop', [{capability: 'ai.openai.inference', provider: 'openai'}], {enabled: false, disabledReason: 'kill switch'})
      expect(summarise(disabled)).to.deep.equal({
        name: 'shop', path: '/apps/shop', owner: 'founder', enabled: false, capabilities: ['ai.openai.inference'], updated: disabled.updated, disabledReason: 'kill switch',
      })
      expect(summarise(asset('plain'))).to.not.have.property('disabledReason')
    })

    it('lists assets sorted by name', () => {
      const state = body({assets: [asset('zeta'), asset('alpha'), asset('mid')]})
      expect(listAssets(state).map((a) => a.name)).to.deep.equal(['alpha', 'mid', 'zeta'])
      expect(listAssets(body())).to.deep.equal([])
    })

    it('finds an asset by exact name and says how to register an unknown one', () => {
      const state = body({assets: [asset('shop')]})
      expect(requireAsset(state, 'shop').name).to.equal('shop')
      const error = usage(() => requireAsset(state, 'Shop'))
      expect(error.code).to.equal('INVALID_INPUT')
      expect(error.message).to.equal('no asset named "Shop"')
      expect(error.suggestions).to.deep.equal(['register it: codex-vault bind PATH --name Shop', 'list assets: codex-vault asset list'])
    })
  })
})
