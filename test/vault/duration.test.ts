import {expect} from 'chai'

import {VaultError} from '../../src/cli/errors.js'
import {formatDuration, parseDuration} from '../../src/cli/duration.js'

describe('parseDuration', () => {
  it('reads units, combinations and bare seconds', () => {
    expect(parseDuration('90s')).to.equal(90_000)
    expect(parseDuration('15m')).to.equal(900_000)
    expect(parseDuration('8h')).to.equal(28_800_000)
    expect(parseDuration('7d')).to.equal(604_800_000)
    expect(parseDuration('1h30m')).to.equal(5_400_000)
    expect(parseDuration('250ms')).to.equal(250)
    expect(parseDuration('30')).to.equal(30_000)
    expect(parseDuration(' 1s ')).to.equal(1000)
  })

  for (const text of ['-1s', '0', '0s', '1e309', '99999999999d', '367d', '', 's', '1.5h', '1 h', '1x', 'Infinity', 'NaN', '0x10', '1h-1m']) {
    it(`refuses ${JSON.stringify(text)} with a usage error naming the flag`, () => {
      let caught: unknown
      try {
        parseDuration(text, '--ttl')
      } catch (error) {
        caught = error
      }
      expect(caught).to.be.instanceOf(VaultError)
      expect((caught as VaultError).exitCode).to.equal(2)
      expect((caught as VaultError).message).to.include('--ttl')
    })
  }

  it('names the limit that applies to the flag, not the general one', () => {
    const week = 7 * 86_400_000
    expect(parseDuration('7d', '--ttl', week)).to.equal(week)
    for (const text of ['0', '8d', '2w']) {
      let caught: unknown
      try {
        parseDuration(text, '--ttl', week)
      } catch (error) {
        caught = error
      }
      expect((caught as VaultError).message).to.equal(`--ttl: "${text}" must be more than 0 and at most 7d`)
    }
    expect(() => parseDuration('367d')).to.throw('at most 366d')
  })

  it('formats durations for people', () => {
    expect(formatDuration(500)).to.equal('500ms')
    expect(formatDuration(5_400_000)).to.equal('1h30m')
    expect(formatDuration(90_061_000)).to.equal('1d1h')
  })
})
