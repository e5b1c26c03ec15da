import {expect} from 'chai'

import {CallTally} from '../../src/runtime/mediation-calls.js'

describe('runtime/mediation-calls', () => {
  it('counts calls by provider, method, path and status, most frequent first', () => {
    const tally = new CallTally()
    for (let i = 0; i < 11; i++) tally.note('openai', 'POST', '/v1/chat/completions', 200)
    tally.note('openai', 'POST', '/v1/chat/completions', 429)
    tally.note('openai', 'GET', '/v1/models', 200)
    tally.note('anthropic', 'POST', '/v1/messages', 200)
    tally.note('anthropic', 'POST', '/v1/messages', 200)
    expect(tally.lines()).to.deep.equal([
      'openai POST /v1/chat/completions: 11× 200, 1× 429',
      'anthropic POST /v1/messages: 2× 200',
      'openai GET /v1/models: 1× 200',
    ])
  })

  it('stays bounded: long paths are cut, distinct calls beyond 200 share one entry, at most 20 lines are kept', () => {
    const tally = new CallTally()
    tally.note('openai', 'GET', `/v1/${'x'.repeat(500)}`, 200)
    for (let i = 0; i < 300; i++) tally.note('openai', 'GET', `/v1/files/file-${i}`, 200)
    const lines = tally.lines()
    expect(lines).to.have.length(21)
    expect(lines[0]).to.equal('openai (other paths): 101× 200')
    expect(lines.at(-1)).to.equal('… and 181 more distinct call(s)')
    const long = new CallTally()
    long.note('openai', 'GET', `/v1/${'x'.repeat(500)}`, 200)
    expect(long.lines()[0]).to.have.length.below(200).and.include('…')
  })
})
