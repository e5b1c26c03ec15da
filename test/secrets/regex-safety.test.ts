import {expect} from 'chai'

import {BUILTIN_PROVIDERS} from '../../src/secrets/providers/builtin.js'
import {regexHazard} from '../../src/secrets/providers/regex-safety.js'

describe('regexHazard', () => {
  it('refuses a repeated group that holds a variable-length repeat (star height above one)', () => {
    for (const pattern of ['(a+)+b', '(a*)*b', '(?:a+)*', '(a?)+', '(?:x[a-z]+y?)+z', '((a+)b)*', '(?<n>[a-z]{1,3}){2,}', '(a|b+)+', '(a+){2}', '(a+)+?c', 'x(?:(?:ab)+c)*']) {
      expect(regexHazard(pattern), pattern).to.match(/^nested quantifier "/)
    }
    expect(regexHazard('key_(a+)+b')).to.equal('nested quantifier "(a+)+" at character 5: a repeated group that itself holds a repeat can take exponential time on a near-miss (write "(a+)+b" as "a+b")')
  })

  it('refuses an alternation inside a group repeated a variable number of times (QA: "(a|a)+b" hung scan)', () => {
    for (const pattern of ['(a|a)+b', '(a|aa)+$', '(a|b)*c', '((a|b)c)+', '(?:x|y){2,}']) {
      expect(regexHazard(pattern), pattern).to.match(/^repeated alternation "/)
    }
  })

  it('refuses backreferences, numbered and named', () => {
    expect(regexHazard('(a)\\1')).to.match(/^backreference "\\1" at character 4/)
    expect(regexHazard('(?<q>[\'"])x+\\k<q>')).to.match(/^backreference "\\k<…>"/)
  })

  it('accepts single repeats, fixed counts inside a repeat, optional groups and escaped look-alikes', () => {
    for (const pattern of [
      'acme_[a-z0-9]{20}', '(?:[a-f0-9]{4}-){3}[a-f0-9]{12}', '(?:sk|rk)_(?:test|live)_[A-Za-z0-9]{10,247}', 'tvly-(?:dev-|prod-)?[A-Za-z0-9]{20,64}',
      '(a+)?b', '(?:ab)+', '(a|b){3}c', '\\(a+\\)+', '[(a+)]+', '[\\]+]+', 'a{2,}b', 'x\\0y', 'a{,3}', '\\\\1', '(?=a+)b', '(?:a{3}){2}',
    ]) {
      expect(regexHazard(pattern), pattern).to.equal(undefined)
    }
  })

  it('passes every built-in key format', () => {
    for (const provider of BUILTIN_PROVIDERS) {
      for (const format of provider.keyFormats ?? []) expect(regexHazard(format.pattern), `${provider.id}/${format.id}`).to.equal(undefined)
    }
  })

  it('what it refuses really hangs a backtracking matcher, and what it accepts does not', () => {
    // "(a+)+b" on 30 a's takes seconds in V8; 22 is already orders of magnitude slower than the safe form
    const text = 'a'.repeat(22)
    const time = (pattern: string) => {
      const started = process.hrtime.bigint()
      new RegExp(`^(?:${pattern})$`).test(text)
      return Number(process.hrtime.bigint() - started) / 1e6
    }
    expect(regexHazard('(a+)+b')).to.not.equal(undefined)
    expect(regexHazard('a+b')).to.equal(undefined)
    expect(time('(a+)+b')).to.be.greaterThan(10 * Math.max(time('a+b'), 0.05))
  })
})
