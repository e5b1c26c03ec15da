import {expect} from 'chai'

import {VaultError} from '../../src/cli/errors.js'
import {authorizeRun} from '../../src/runtime/authorize.js'
import {loadCatalog} from '../../src/secrets/providers/catalog.js'
import {CLOCK_TOLERANCE_MS, checkClock} from '../../src/secrets/vault-store.js'
import {HOUR, T0, asset, at, body, grant, secret, shopBody} from './helpers.js'

const catalog = loadCatalog([])
const FIX = 'codex-vault grant approve --asset shop --capability ai.openai.inference'

describe('authorizeRun', () => {
  it('allows a granted, bound capability and names what to inject', () => {
    const g = grant('shop', 'ai.openai.inference', {usesLeft: 2})
    const b = shopBody([g])
    const decision = authorizeRun(b, catalog, {asset: 'shop', now: T0})
    expect(decision.denials).to.deep.equal([])
    expect(decision.requested).to.deep.equal(['ai.openai.inference'])
    expect(decision.allowed).to.deep.equal([{
      capability: 'ai.openai.inference', provider: 'openai', grant: {id: g.id, expires: g.expires, usesLeft: 2},
      inject: [{env: 'OPENAI_API_KEY', secretId: b.secrets[0].id, fingerprint: b.secrets[0].fp, credentialFile: false}],
    }])
  })

  it('expires exactly at the boundary', () => {
    const g = grant('shop', 'ai.openai.inference', {expires: at(HOUR).toISOString()})
    expect(authorizeRun(shopBody([g]), catalog, {asset: 'shop', now: at(HOUR - 1)}).denials).to.deep.equal([])
    const denied = authorizeRun(shopBody([g]), catalog, {asset: 'shop', now: at(HOUR)})
    expect(denied.allowed).to.deep.equal([])
    expect(denied.denials).to.have.length(1)
    expect(denied.denials[0]).to.include({capability: 'ai.openai.inference', code: 'no-grant', reason: `grant ${g.id} expired at ${g.expires} for shop -> ai.openai.inference`})
    expect(denied.denials[0].fix.startsWith(FIX)).to.equal(true)
  })

  it('denies a grant that is not valid yet (a clock that moved backwards past notBefore)', () => {
    const g = grant('shop', 'ai.openai.inference', {notBefore: T0.toISOString()})
    expect(authorizeRun(shopBody([g]), catalog, {asset: 'shop', now: at(-1)}).denials[0]).to.include({code: 'no-grant'})
  })

  it('denies with the reason and the exact fix for each way a run can fail', () => {
    const active = grant('shop', 'ai.openai.inference')
    const cases: [string, ReturnType<typeof authorizeRun>, string, string, string][] = [
      ['missing asset', authorizeRun(shopBody([active]), catalog, {asset: 'nosuch', now: T0}), 'asset-missing', 'no asset named "nosuch"', 'codex-vault bind PATH --name nosuch'],
      ['disabled asset', authorizeRun(shopBody([active], {assets: [asset('shop', [{capability: 'ai.openai.inference', provider: 'openai'}], {enabled: false, disabledReason: 'leak'})]}), catalog, {asset: 'shop', now: T0}),
        'asset-disabled', 'asset shop is disabled (leak)', 'codex-vault asset enable shop'],
      ['nothing bound', authorizeRun(body({assets: [asset('shop')]}), catalog, {asset: 'shop', now: T0}), 'nothing-requested', 'asset shop has no bound capabilities', '--capability'],
      ['unknown capability', authorizeRun(shopBody([grant('shop', 'ai.nosuch.inference')]), catalog, {asset: 'shop', capabilities: ['ai.nosuch.inference'], now: T0}),
        'unknown-capability', 'no provider in the catalog offers ai.nosuch.inference', 'codex-vault provider list'],
      ['killed provider', authorizeRun(shopBody([active], {killedProviders: [{provider: 'openai', at: T0.toISOString()}]}), catalog, {asset: 'shop', now: T0}),
        'provider-killed', 'provider openai was stopped with the kill switch', FIX],
      ['no grant', authorizeRun(shopBody([]), catalog, {asset: 'shop', now: T0}), 'no-grant', 'no grant for shop -> ai.openai.inference', FIX],
      ['revoked', authorizeRun(shopBody([{...active, revoked: T0.toISOString()}]), catalog, {asset: 'shop', now: T0}), 'no-grant', 'was revoked', FIX],
      ['used up', authorizeRun(shopBody([{...active, usesLeft: 0}]), catalog, {asset: 'shop', now: T0}), 'no-grant', 'has no uses left', FIX],
      ['another asset\'s grant', authorizeRun(shopBody([grant('other', 'ai.openai.inference')]), catalog, {asset: 'shop', now: T0}), 'no-grant', 'no grant', FIX],
      ['no secret', authorizeRun(shopBody([active], {secrets: [secret('anthropic', 'ANTHROPIC_API_KEY')]}), catalog, {asset: 'shop', now: T0}),
        'no-secret', 'no openai key is stored', 'codex-vault secret set openai'],
    ]
    for (const [label, decision, code, reason, fix] of cases) {
      expect(decision.allowed, label).to.deep.equal([])
      expect(decision.denials, label).to.have.length(1)
      expect(decision.denials[0].code, label).to.equal(code)
      expect(decision.denials[0].reason, label).to.include(reason)
      expect(decision.denials[0].fix, label).to.include(fix)
    }
  })

  it('checks every requested capability: one allowed, one denied is still a denial', () => {
    const b = shopBody([grant('shop', 'ai.openai.inference')], {secrets: [secret('openai', 'OPENAI_API_KEY'), secret('mistral', 'MISTRAL_API_KEY')]})
    const decision = authorizeRun(b, catalog, {asset: 'shop', capabilities: ['ai.openai.inference', 'ai.mistral.inference', 'ai.openai.inference'], now: T0})
    expect(decision.requested).to.deep.equal(['ai.openai.inference', 'ai.mistral.inference'])
    expect(decision.allowed.map((item) => item.capability)).to.deep.equal(['ai.openai.inference'])
    expect(decision.denials.map((item) => [item.capability, item.code])).to.deep.equal([['ai.mistral.inference', 'no-grant']])
  })

  it('a wildcard grant covers a concrete capability; it injects only that provider\'s keys', () => {
    const wildcard = grant('shop', 'ai.*.inference')
    const b = shopBody([wildcard], {secrets: [secret('openai', 'OPENAI_API_KEY'), secret('anthropic', 'ANTHROPIC_API_KEY')]})
    const decision = authorizeRun(b, catalog, {asset: 'shop', now: T0})
    expect(decision.denials).to.deep.equal([])
    expect(decision.allowed[0].grant.id).to.equal(wildcard.id)
    expect(decision.allowed[0].inject.map((item) => item.env)).to.deep.equal(['OPENAI_API_KEY'])
  })

  it('requests the bound capabilities: required and likely ones plus includes, minus excludes, never mentioned ones', () => {
    const shop = asset('shop', [
      {capability: 'ai.openai.inference', provider: 'openai'},
      {capability: 'ai.anthropic.inference', provider: 'anthropic', confidence: 'likely'},
      {capability: 'ai.mistral.inference', provider: 'mistral', confidence: 'mentioned'},
      {capability: 'ai.openai.files', provider: 'openai'},
    ], {overrides: {include: ['payments.stripe.api'], exclude: ['ai.openai.files']}})
    const decision = authorizeRun(body({assets: [shop]}), catalog, {asset: 'shop', now: T0})
    expect(decision.requested).to.deep.equal(['ai.anthropic.inference', 'ai.openai.inference', 'payments.stripe.api'])
    expect(decision.denials.map((denial) => denial.code)).to.deep.equal(['no-grant', 'no-grant', 'no-grant'])
  })

  it('injects a single stored key also under the other provider env names the scan saw', () => {
    const gemini = asset('shop', [{capability: 'ai.google-gemini.inference', provider: 'google-gemini', env: ['GOOGLE_API_KEY', 'NOT_A_GEMINI_NAME']}])
    const stored = secret('google-gemini', 'GEMINI_API_KEY')
    const b = body({assets: [gemini], secrets: [stored], grants: [grant('shop', 'ai.google-gemini.inference')]})
    const [allowed] = authorizeRun(b, catalog, {asset: 'shop', now: T0}).allowed
    expect(allowed.inject.map((item) => [item.env, item.secretId])).to.deep.equal([['GEMINI_API_KEY', stored.id], ['GOOGLE_API_KEY', stored.id]])
  })

  it('never mutates the body', () => {
    const b = shopBody([grant('shop', 'ai.openai.inference', {usesLeft: 1})])
    const before = JSON.stringify(b)
    authorizeRun(b, catalog, {asset: 'shop', now: T0})
    authorizeRun(b, catalog, {asset: 'nosuch', now: T0})
    expect(JSON.stringify(b)).to.equal(before)
  })
})

describe('checkClock', () => {
  it('accepts a clock within the tolerance behind lastSeen and denies (exit 6) beyond it', () => {
    const b = body({lastSeen: T0.toISOString()})
    expect(() => checkClock(b, at(HOUR))).to.not.throw()
    expect(() => checkClock(b, T0)).to.not.throw()
    expect(() => checkClock(b, at(-CLOCK_TOLERANCE_MS))).to.not.throw()
    try {
      checkClock(b, at(-CLOCK_TOLERANCE_MS - 1))
      expect.fail('a clock moved backwards was accepted')
    } catch (error) {
      expect(error).to.be.instanceOf(VaultError)
      expect((error as VaultError).code).to.equal('CLOCK_SKEW')
      expect((error as VaultError).exitCode).to.equal(6)
      expect((error as VaultError).message).to.include('is behind the last time this vault was used')
    }
  })

  it('so a grant cannot be stretched by moving the clock back: the clock check fails before authorize would allow', () => {
    const g = grant('shop', 'ai.openai.inference', {expires: at(HOUR).toISOString()})
    const b = shopBody([g], {lastSeen: at(2 * HOUR).toISOString()})
    // at T0 the grant itself would look active again...
    expect(authorizeRun(b, catalog, {asset: 'shop', now: T0}).denials).to.deep.equal([])
    // ...which is why every boot and transaction checks the clock first
    expect(() => checkClock(b, T0)).to.throw(VaultError, /behind/)
    expect(authorizeRun(b, catalog, {asset: 'shop', now: at(2 * HOUR)}).denials[0].code).to.equal('no-grant')
  })
})
