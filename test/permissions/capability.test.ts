import {expect} from 'chai'

import {capabilityMatches, isWildcard, parseCapabilityPattern} from '../../src/permissions/capability.js'
import {grantTtl, ttlRule} from '../../src/permissions/ttl-policy.js'
import {DAY, HOUR} from './helpers.js'
import {usage} from '../helpers/errors.js'

describe('capabilities', () => {
  it('accepts <domain>.<provider>.<action> and whole-segment wildcards', () => {
    for (const text of ['ai.openai.inference', 'ai.google-gemini.inference', 'payments.stripe.api', 'ai.*.inference', '*.*.*', 'db.supabase2.admin']) {
      expect(parseCapabilityPattern(text)).to.equal(text)
    }
  })

  it('refuses everything else with exit 2 and an example', () => {
    for (const text of ['', 'openai', 'ai.openai', 'ai.openai.inference.extra', 'AI.openai.inference', 'ai..inference', 'ai.open*.inference',
      'ai.**.inference', 'ai.open ai.inference', '1ai.openai.inference', 'ai.-openai.inference', 'ai.openai.inference ', 'ai.openai_x.inference']) {
      const error = usage(() => parseCapabilityPattern(text))
      expect(error.message).to.include(`capability "${text}" must be <domain>.<provider>.<action>`)
      expect(error.message).to.include('ai.*.inference')
    }
  })

  it('matches segment by segment; "*" covers exactly one segment', () => {
    expect(capabilityMatches('ai.openai.inference', 'ai.openai.inference')).to.equal(true)
    expect(capabilityMatches('ai.*.inference', 'ai.openai.inference')).to.equal(true)
    expect(capabilityMatches('ai.*.inference', 'ai.anthropic.inference')).to.equal(true)
    expect(capabilityMatches('ai.openai.*', 'ai.openai.admin')).to.equal(true)
    expect(capabilityMatches('*.*.*', 'payments.stripe.api')).to.equal(true)
    expect(capabilityMatches('ai.*.inference', 'ai.openai.admin')).to.equal(false)
    expect(capabilityMatches('ai.*.inference', 'payments.stripe.inference')).to.equal(false)
    expect(capabilityMatches('ai.openai.inference', 'ai.openai.admin')).to.equal(false)
    expect(capabilityMatches('ai.*', 'ai.openai.inference')).to.equal(false)
    expect(capabilityMatches('ai.openai.inference', 'ai.openai')).to.equal(false)
    // the capability side is never treated as a pattern
    expect(capabilityMatches('ai.openai.inference', 'ai.*.inference')).to.equal(false)
    expect(isWildcard('ai.*.inference')).to.equal(true)
    expect(isWildcard('ai.openai.inference')).to.equal(false)
  })
})

describe('grant TTL policy', () => {
  it('has a default and a maximum per domain', () => {
    expect(ttlRule('ai.openai.inference')).to.deep.equal({defaultMs: 8 * HOUR, maxMs: 30 * DAY})
    expect(ttlRule('payments.stripe.api')).to.deep.equal({defaultMs: HOUR, maxMs: 7 * DAY})
    expect(ttlRule('db.supabase.admin')).to.deep.equal({defaultMs: HOUR, maxMs: 7 * DAY})
    expect(ttlRule('cloud.aws.api')).to.deep.equal({defaultMs: HOUR, maxMs: DAY})
    expect(ttlRule('mail.resend.api')).to.deep.equal({defaultMs: HOUR, maxMs: 7 * DAY})
    // a wildcard domain could mean cloud: the strictest rule applies
    expect(ttlRule('*.*.*')).to.deep.equal({defaultMs: HOUR, maxMs: DAY})
    expect(ttlRule('ai.*.inference')).to.deep.equal({defaultMs: 8 * HOUR, maxMs: 30 * DAY})
  })

  it('uses the default when no TTL is asked, allows exactly the maximum, refuses one millisecond more', () => {
    expect(grantTtl('ai.openai.inference', undefined)).to.equal(8 * HOUR)
    expect(grantTtl('ai.openai.inference', 30 * DAY)).to.equal(30 * DAY)
    expect(grantTtl('payments.stripe.api', 7 * DAY)).to.equal(7 * DAY)
    expect(grantTtl('cloud.aws.api', 1000)).to.equal(1000)
    const ai = usage(() => grantTtl('ai.openai.inference', 30 * DAY + 1))
    expect(ai.message).to.include('maximum of 30d for ai.openai.inference; nothing was approved')
    const stripe = usage(() => grantTtl('payments.stripe.api', 8 * DAY))
    expect(stripe.message).to.include('--ttl 8d is longer than the maximum of 7d')
    usage(() => grantTtl('*.*.*', DAY + 1000))
  })
})
