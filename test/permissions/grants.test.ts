import {expect} from 'chai'

import type {AuthenticatedVault} from '../../src/cli/context.js'
import {VaultError} from '../../src/cli/errors.js'
import {loadCatalog} from '../../src/secrets/providers/catalog.js'
import {approveGrant, buildGrant, findGrant, grantState, listGrants, revokeMatching} from '../../src/permissions/grants.js'
import {type VaultBody, vaultBodySchema} from '../../src/secrets/vault-schema.js'
import {DAY, HOUR, T0, asset, at, body, grant} from './helpers.js'

describe('grant states', () => {
  it('is active from notBefore up to (not including) expires', () => {
    const g = grant('shop', 'ai.openai.inference', {notBefore: at(HOUR).toISOString(), expires: at(2 * HOUR).toISOString()})
    expect(grantState(g, at(HOUR - 1))).to.equal('pending')
    expect(grantState(g, at(HOUR))).to.equal('active')
    expect(grantState(g, at(2 * HOUR - 1))).to.equal('active')
    expect(grantState(g, at(2 * HOUR))).to.equal('expired')
    expect(grantState(g, at(2 * HOUR + 1))).to.equal('expired')
  })

  it('revoked beats used-up beats expired', () => {
    const expiredUsedRevoked = grant('shop', 'ai.openai.inference', {expires: at(HOUR).toISOString(), usesLeft: 0, revoked: T0.toISOString()})
    expect(grantState(expiredUsedRevoked, at(2 * HOUR))).to.equal('revoked')
    expect(grantState({...expiredUsedRevoked, revoked: null}, at(2 * HOUR))).to.equal('used-up')
    expect(grantState({...expiredUsedRevoked, revoked: null, usesLeft: 1}, at(2 * HOUR))).to.equal('expired')
    expect(grantState({...expiredUsedRevoked, revoked: null, usesLeft: 1}, T0)).to.equal('active')
  })
})

describe('findGrant', () => {
  it('picks the active covering grant with the most time left, wildcards included', () => {
    const short = grant('shop', 'ai.openai.inference', {expires: at(HOUR).toISOString()})
    const wildcard = grant('shop', 'ai.*.inference', {expires: at(3 * HOUR).toISOString()})
    const otherAsset = grant('other', 'ai.openai.inference', {expires: at(9 * HOUR).toISOString()})
    const otherCapability = grant('shop', 'ai.openai.admin', {expires: at(9 * HOUR).toISOString()})
    const b = body({grants: [short, wildcard, otherAsset, otherCapability]})
    expect(findGrant(b, 'shop', 'ai.openai.inference', T0).grant?.id).to.equal(wildcard.id)
    expect(findGrant(b, 'shop', 'ai.anthropic.inference', T0).grant?.id).to.equal(wildcard.id)
    expect(findGrant(b, 'shop', 'ai.openai.inference', at(3 * HOUR)).grant).to.equal(undefined)
    expect(findGrant(b, 'shop', 'payments.stripe.api', T0)).to.deep.equal({reason: 'no grant'})
    expect(findGrant(b, 'nosuch', 'ai.openai.inference', T0)).to.deep.equal({reason: 'no grant'})
  })

  it('says why the latest covering grant no longer counts', () => {
    const expired = grant('shop', 'ai.openai.inference', {expires: at(HOUR).toISOString()})
    expect(findGrant(body({grants: [expired]}), 'shop', 'ai.openai.inference', at(HOUR)).reason).to.equal(`grant ${expired.id} expired at ${expired.expires}`)
    const revoked = grant('shop', 'ai.openai.inference', {revoked: T0.toISOString(), revokedReason: 'leak'})
    expect(findGrant(body({grants: [revoked]}), 'shop', 'ai.openai.inference', T0).reason).to.equal(`grant ${revoked.id} was revoked (leak)`)
    const used = grant('shop', 'ai.openai.inference', {usesLeft: 0})
    expect(findGrant(body({grants: [used]}), 'shop', 'ai.openai.inference', T0).reason).to.equal(`grant ${used.id} has no uses left`)
    const pending = grant('shop', 'ai.openai.inference', {notBefore: at(HOUR).toISOString()})
    expect(findGrant(body({grants: [pending]}), 'shop', 'ai.openai.inference', T0).reason).to.equal(`grant ${pending.id} is not valid before ${pending.notBefore}`)
    // the most recently approved one is the one explained
    const older = grant('shop', 'ai.openai.inference', {approved: at(-DAY).toISOString(), usesLeft: 0})
    expect(findGrant(body({grants: [revoked, older]}), 'shop', 'ai.openai.inference', T0).reason).to.include('was revoked')
    // ...unless it was used up after that: the key's last injection dates its last use
    const usedLater = grant('shop', 'ai.openai.inference', {approved: at(-DAY).toISOString(), usesLeft: 0})
    const withUse = body({grants: [revoked, usedLater]})
    withUse.secrets = [{provider: 'openai', lastInjected: at(HOUR).toISOString()} as (typeof withUse.secrets)[number]]
    const found = findGrant(withUse, 'shop', 'ai.openai.inference', at(2 * HOUR), 'openai')
    expect(found.reason).to.equal(`grant ${usedLater.id} has no uses left`)
    expect(found.ended).to.deep.equal({id: usedLater.id, state: 'used-up', capability: 'ai.openai.inference'})
    // a wildcard grant is named with its pattern
    const wild = grant('shop', '*.*.*', {revoked: T0.toISOString()})
    expect(findGrant(body({grants: [wild]}), 'shop', 'payments.stripe.api', T0).reason).to.equal(`grant ${wild.id} (*.*.*) was revoked`)
  })
})

describe('buildGrant', () => {
  const b = body({assets: [asset('shop')]})

  it('builds a schema-valid grant with the default or requested TTL and uses', () => {
    const g = buildGrant(b, {asset: 'shop', capability: 'ai.openai.inference', now: T0})
    expect(g).to.include({asset: 'shop', capability: 'ai.openai.inference', approved: T0.toISOString(), notBefore: T0.toISOString(), usesLeft: null, revoked: null})
    expect(g.expires).to.equal(at(8 * HOUR).toISOString())
    expect(g.id).to.match(/^g_[A-Za-z0-9_-]{8}$/)
    expect(g).to.not.have.property('reason')
    const limited = buildGrant(b, {asset: 'shop', capability: 'payments.stripe.api', ttlMs: 7 * DAY, uses: 3, reason: 'refunds', now: T0})
    expect(limited).to.include({usesLeft: 3, reason: 'refunds', expires: at(7 * DAY).toISOString()})
    expect(buildGrant(b, {asset: 'shop', capability: 'ai.openai.inference', now: T0}).id).to.not.equal(g.id)
    expect(vaultBodySchema.safeParse({...b, grants: [g, limited]}).success).to.equal(true)
  })

  it('refuses an unknown asset, a bad capability, bad uses and an over-long TTL (exit 2)', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => buildGrant(b, {asset: 'nosuch', capability: 'ai.openai.inference', now: T0}), /no asset named "nosuch"/],
      [() => buildGrant(b, {asset: 'shop', capability: 'ai.openai', now: T0}), /must be <domain>\.<provider>\.<action>/],
      [() => buildGrant(b, {asset: 'shop', capability: 'ai.openai.inference', uses: 0, now: T0}), /--uses must be a whole number of at least 1/],
      [() => buildGrant(b, {asset: 'shop', capability: 'ai.openai.inference', uses: 1.5, now: T0}), /--uses/],
      [() => buildGrant(b, {asset: 'shop', capability: 'ai.openai.inference', uses: -1, now: T0}), /--uses/],
      [() => buildGrant(b, {asset: 'shop', capability: 'ai.openai.inference', ttlMs: 31 * DAY, now: T0}), /maximum of 30d/],
      [() => buildGrant(b, {asset: 'shop', capability: 'payments.stripe.api', ttlMs: 8 * DAY, now: T0}), /maximum of 7d/],
    ]
    for (const [fn, message] of cases) {
      expect(fn).to.throw(VaultError, message)
      try {
        fn()
      } catch (error) {
        expect((error as VaultError).exitCode).to.equal(2)
      }
    }
  })
})

describe('listGrants and revokeMatching', () => {
  const active = grant('shop', 'ai.openai.inference')
  const expired = grant('shop', 'ai.openai.inference', {expires: at(-1).toISOString(), approved: at(-HOUR).toISOString(), notBefore: at(-HOUR).toISOString()})
  const revoked = grant('shop', 'ai.anthropic.inference', {revoked: T0.toISOString()})
  const used = grant('shop', 'payments.stripe.api', {usesLeft: 0})
  const pending = grant('other', 'ai.openai.inference', {notBefore: at(HOUR).toISOString()})

  it('lists active and pending grants, or every state with all', () => {
    const b = body({grants: [active, expired, revoked, used, pending]})
    expect(listGrants(b, {all: false, now: T0}).map((g) => [g.id, g.state])).to.deep.equal([[pending.id, 'pending'], [active.id, 'active']])
    const all = listGrants(b, {all: true, now: T0})
    expect(Object.fromEntries(all.map((g) => [g.id, g.state]))).to.deep.equal({
      [active.id]: 'active', [expired.id]: 'expired', [revoked.id]: 'revoked', [used.id]: 'used-up', [pending.id]: 'pending',
    })
    expect(listGrants(b, {all: true, asset: 'other', now: T0}).map((g) => g.id)).to.deep.equal([pending.id])
    // sorted by asset, capability, approval time
    expect(all.map((g) => g.asset + ' ' + g.capability)).to.deep.equal([
      'other ai.openai.inference', 'shop ai.anthropic.inference', 'shop ai.openai.inference', 'shop ai.openai.inference', 'shop payments.stripe.api',
    ])
  })

  it('revokes by id, by asset, by asset and capability pattern; never twice', () => {
    const fresh = () => body({grants: [{...active}, {...revoked}, {...used}, {...pending}, grant('shop', 'ai.*.inference')]})
    const byId = fresh()
    expect(revokeMatching(byId, {id: active.id, reason: 'r', now: at(1)})).to.deep.equal([active.id])
    expect(byId.grants[0]).to.include({revoked: at(1).toISOString(), revokedReason: 'r'})
    expect(revokeMatching(byId, {id: active.id, now: at(2)})).to.deep.equal([])
    expect(byId.grants[0].revoked).to.equal(at(1).toISOString())

    const byAsset = fresh()
    expect(revokeMatching(byAsset, {asset: 'shop', now: T0})).to.have.length(2) // active, wildcard; `revoked` already was
    // a used-up grant keeps how it ended: revocation is for live grants only
    expect(byAsset.grants.find((g) => g.id === used.id)).to.include({revoked: null, usesLeft: 0})
    expect(byAsset.grants.find((g) => g.asset === 'other')!.revoked).to.equal(null)

    const byCapability = fresh()
    expect(revokeMatching(byCapability, {asset: 'shop', capability: 'ai.openai.inference', now: T0})).to.include(active.id)
    expect(byCapability.grants.find((g) => g.capability === 'payments.stripe.api')!.revoked).to.equal(null)

    // a pattern revokes the grants it covers
    const byPattern = fresh()
    const ids = revokeMatching(byPattern, {asset: 'shop', capability: 'ai.*.inference', now: T0})
    expect(ids).to.have.length(2)
    expect(ids).to.include(active.id)
  })

  it('revoking a capability also revokes the wildcard grants that cover it', () => {
    const wildcard = grant('shop', 'ai.*.inference')
    const b = body({grants: [wildcard]})
    expect(revokeMatching(b, {asset: 'shop', capability: 'ai.openai.inference', now: T0})).to.deep.equal([wildcard.id])
    expect(findGrant(b, 'shop', 'ai.openai.inference', T0).grant).to.equal(undefined)
  })
})

describe('approveGrant and provider kills', () => {
  /** approveGrant only needs transact(): run the mutation on an in-memory body. */
  function memoryVault(b: VaultBody): AuthenticatedVault {
    const catalog = loadCatalog([])
    return {body: b, catalog: async () => catalog, transact: async (mutate: (body: VaultBody) => {result: unknown}) => (await mutate(b)).result} as unknown as AuthenticatedVault
  }

  it('a new approval for a capability lifts its provider\'s kill, and only that one', async () => {
    const b = body({assets: [asset('shop')], killedProviders: [{provider: 'openai', at: T0.toISOString()}, {provider: 'stripe', at: T0.toISOString()}]})
    const g = await approveGrant(memoryVault(b), {asset: 'shop', capability: 'ai.openai.inference', now: T0})
    expect(b.grants).to.deep.equal([g])
    expect(b.killedProviders.map((entry) => entry.provider)).to.deep.equal(['stripe'])
  })

  it('a refused approval changes nothing', async () => {
    const b = body({assets: [asset('shop')], killedProviders: [{provider: 'openai', at: T0.toISOString()}]})
    let error: unknown
    try {
      await approveGrant(memoryVault(b), {asset: 'shop', capability: 'ai.openai.inference', ttlMs: 31 * DAY, now: T0})
    } catch (caught) {
      error = caught
    }
    expect(error).to.be.instanceOf(VaultError)
    expect(b.grants).to.deep.equal([])
    expect(b.killedProviders).to.have.length(1)
  })

  it('a wildcard approval lifts only the kills of providers it covers', async () => {
    const b = body({assets: [asset('shop')], killedProviders: [{provider: 'openai', at: T0.toISOString()}, {provider: 'stripe', at: T0.toISOString()}]})
    await approveGrant(memoryVault(b), {asset: 'shop', capability: 'ai.*.inference', now: T0})
    expect(b.killedProviders.map((entry) => entry.provider)).to.deep.equal(['stripe'])
  })
})
