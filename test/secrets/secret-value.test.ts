import {expect} from 'chai'

import {loadCatalog} from '../../src/secrets/providers/catalog.js'
import {checkSecretValue, maskPreview, normaliseSecretInput} from '../../src/secrets/secret-value.js'
import {canary, expectVaultError, fakeJwt, randomHex} from './helpers.js'
import {sampleFor} from './sample-key.js'

const catalog = loadCatalog([])
const anthropicKey = () => sampleFor(catalog.require('anthropic').keyFormats[0].pattern)

describe('maskPreview', () => {
  it('shows at most 8 characters and never more than a third', () => {
    const key = anthropicKey()
    expect(maskPreview(key)).to.equal('sk-ant-a…(108)')
    expect(maskPreview('sk-abcdefghi')).to.equal('sk-a…(12)')
    expect(maskPreview('ab')).to.equal('…(2)')
    expect(maskPreview('')).to.equal('…(0)')
    for (let length = 1; length < 60; length++) {
      const value = canary(length)
      const shown = maskPreview(value).split('…')[0]
      expect(shown.length).to.be.at.most(Math.min(8, Math.floor(length / 3)))
      expect(value.startsWith(shown)).to.equal(true)
    }
  })

  it('shows nothing but the length of a value without a well-known prefix: its first characters are key material', () => {
    expect(maskPreview('9VRQzbsWk2pL0xYt7uQe3nHcA1mZ')).to.equal('…(28)')
    expect(maskPreview('abcdefghijkl')).to.equal('…(12)')
    expect(maskPreview('😀😀😀😀😀😀')).to.equal('…(6)')
  })

  it('counts code points, not UTF-16 units', () => {
    expect(maskPreview(`sk-${'😀'.repeat(30)}`)).to.equal('sk-😀😀😀😀😀…(33)')
  })
})

describe('normaliseSecretInput', () => {
  it('strips exactly one trailing newline', () => {
    const key = canary()
    expect(normaliseSecretInput(Buffer.from(`${key}\n`))).to.equal(key)
    expect(normaliseSecretInput(Buffer.from(`${key}\r\n`))).to.equal(key)
    expect(normaliseSecretInput(Buffer.from(key))).to.equal(key)
    expect(normaliseSecretInput(Buffer.from(`${key}\n\n`))).to.equal(`${key}\n`)
    expect(normaliseSecretInput(Buffer.from(`{\n  "a": 1\n}\n`))).to.equal('{\n  "a": 1\n}')
  })

  it('refuses NUL bytes and invalid UTF-8 without echoing the input', () => {
    const key = canary()
    const nul = expectVaultError(() => normaliseSecretInput(Buffer.concat([Buffer.from(key), Buffer.from([0])])), 'INVALID_INPUT')
    expect(nul.message).to.include('NUL').and.not.include(key)
    const bad = expectVaultError(() => normaliseSecretInput(Buffer.concat([Buffer.from(key), Buffer.from([0xff, 0xfe])])), 'INVALID_INPUT')
    expect(bad.message).to.include('UTF-8').and.not.include(key)
  })
})

describe('checkSecretValue', () => {
  const anthropic = catalog.require('anthropic')

  it('accepts a well-formed key without warnings', () => {
    expect(checkSecretValue(anthropic, 'ANTHROPIC_API_KEY', anthropicKey())).to.deep.equal({warnings: []})
  })

  it('refuses empty and whitespace-only values', () => {
    expectVaultError(() => checkSecretValue(anthropic, 'ANTHROPIC_API_KEY', ''), 'INVALID_INPUT')
    expectVaultError(() => checkSecretValue(anthropic, 'ANTHROPIC_API_KEY', ' \t\n'), 'INVALID_INPUT')
    expectVaultError(() => checkSecretValue(anthropic, 'ANTHROPIC_API_KEY', '', {force: true}), 'INVALID_INPUT')
  })

  it('refuses an invalid env name', () => {
    expectVaultError(() => checkSecretValue(anthropic, 'anthropic-key', anthropicKey()), 'INVALID_INPUT')
  })

  it('refuses a format mismatch with a masked preview only, unless forced', () => {
    const wrong = `sk-${canary(60)}`
    const error = expectVaultError(() => checkSecretValue(anthropic, 'ANTHROPIC_API_KEY', wrong), 'INVALID_INPUT')
    expect(error.message).to.include(maskPreview(wrong)).and.include('sk-ant-api03-').and.not.include(wrong)
    expect(error.suggestions.join(' ')).to.include('--force')
    const {warnings} = checkSecretValue(anthropic, 'ANTHROPIC_API_KEY', wrong, {force: true})
    expect(warnings).to.have.length(1)
    expect(warnings[0]).to.include('--force').and.not.include(wrong)
  })

  it('checks env-specific formats and aliases', () => {
    const stripe = catalog.require('stripe')
    const secretKey = `sk_live_${canary(40)}`
    checkSecretValue(stripe, 'STRIPE_SECRET_KEY', secretKey)
    checkSecretValue(stripe, 'STRIPE_API_KEY', secretKey)
    expectVaultError(() => checkSecretValue(stripe, 'STRIPE_WEBHOOK_SECRET', secretKey), 'INVALID_INPUT')
    checkSecretValue(stripe, 'STRIPE_WEBHOOK_SECRET', `whsec_${canary(32)}`)
    const aws = catalog.require('aws')
    checkSecretValue(aws, 'AWS_SECRET_ACCESS_KEY', canary(40))
    expectVaultError(() => checkSecretValue(aws, 'AWS_ACCESS_KEY_ID', canary(40)), 'INVALID_INPUT')
  })

  it('accepts anything non-empty for providers without a key format', () => {
    expect(checkSecretValue(catalog.require('mistral'), 'MISTRAL_API_KEY', canary(32)).warnings).to.deep.equal([])
    expect(checkSecretValue(catalog.require('cohere'), 'CO_API_KEY', canary(40)).warnings).to.deep.equal([])
  })

  it('refuses public-by-design values unless forced', () => {
    const stripe = catalog.require('stripe')
    const pk = `pk_live_${canary(40)}`
    const error = expectVaultError(() => checkSecretValue(stripe, 'STRIPE_SECRET_KEY', pk), 'INVALID_INPUT')
    expect(error.message).to.include('public').and.not.include(pk)
    const supabase = catalog.require('supabase')
    const anon = fakeJwt({iss: 'supabase', role: 'anon'})
    expectVaultError(() => checkSecretValue(supabase, 'SUPABASE_SERVICE_ROLE_KEY', anon), 'INVALID_INPUT')
    expect(checkSecretValue(supabase, 'SUPABASE_SERVICE_ROLE_KEY', anon, {force: true}).warnings).to.have.length(1)
    expect(checkSecretValue(supabase, 'SUPABASE_SERVICE_ROLE_KEY', fakeJwt({role: 'service_role'})).warnings).to.deep.equal([])
    checkSecretValue(supabase, 'SUPABASE_SECRET_KEY', `sb_secret_${canary(32)}`)
  })

  it('warns about short values, stray whitespace and names the SDKs do not read', () => {
    const mistral = catalog.require('mistral')
    expect(checkSecretValue(mistral, 'MISTRAL_API_KEY', 'abc').warnings[0]).to.include('short').and.not.include('abc')
    const spaced = ` ${randomHex(32)} `
    expect(checkSecretValue(mistral, 'MISTRAL_API_KEY', spaced).warnings[0]).to.include('whitespace')
    expect(checkSecretValue(mistral, 'MY_MISTRAL_KEY', canary(32)).warnings[0]).to.include('MY_MISTRAL_KEY')
  })
})
