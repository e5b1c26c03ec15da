import {randomBytes} from 'node:crypto'

import {expect} from 'chai'

import {hideKeyLike, hideKeyLikeDeep, isKeyLike} from '../../src/cli/key-like.js'

function alnum(length: number): string {
  let out = ''
  while (out.length < length) out += randomBytes(length).toString('base64').replace(/[^A-Za-z0-9]/g, '')
  return out.slice(0, length)
}

describe('hideKeyLike', () => {
  it('hides keys with a known prefix, showing only a short preview and the length', () => {
    const key = `sk-proj-${alnum(150)}`
    const text = hideKeyLike(`unknown provider "${key}"`)
    expect(text).to.not.include(key.slice(8, 30))
    expect(text).to.match(/unknown provider "sk-proj-…\(158\)"/)
  })

  it('shows only the prefix of a CI key or session token', () => {
    const ci = `cvk1_${randomBytes(32).toString('base64url')}`
    const token = `cvs1.${randomBytes(16).toString('base64url')}.${randomBytes(32).toString('base64url')}`
    const text = hideKeyLike(`nonexistent flag: --key=${ci} and ${token}`)
    expect(text).to.include('--key=cvk1_…(48)')
    expect(text).to.not.include(ci.slice(5, 15))
    expect(text).to.not.include(token.slice(30))
  })

  it('hides long random words of unknown format', () => {
    let missed = 0
    for (let i = 0; i < 500; i++) {
      const word = alnum(48)
      if (hideKeyLike(`label ${word}`) === `label ${word}`) missed++
    }
    expect(missed).to.be.below(10)
    expect(hideKeyLike(`x ${'Ab1'.repeat(2)}${alnum(40)} y`)).to.match(/^x …\(46 characters, hidden: it looks like a key\) y$/)
  })

  it('leaves ordinary words, paths, env names, hashes, ids and times alone', () => {
    const texts = [
      'the folder /home/you/MyProject2024SuperLongFolderName/app does not exist',
      'grant g_AqnDrmog until 2026-12-22T10:00:00.000Z for ai.openai.inference',
      'OPENAI_API_KEY ANTHROPIC_API_KEY GOOGLE_GENERATIVE_AI_API_KEY',
      'head 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      'codex-vault grant approve --asset shop --capability ai.openai.inference --ttl 8h',
      '@langchain/google-genai and @anthropic-ai/sdk and node_modules/.pnpm/openai@4.52.0',
      'session sk-AbC123dEf456GhI789j ended', // a 22-character id that starts like a key by chance
    ]
    for (const text of texts) expect(hideKeyLike(text)).to.equal(text)
    expect(isKeyLike('sk-short')).to.equal(false)
  })

  it('reaches every string inside error details', () => {
    const key = `sk-ant-api03-${alnum(93)}AA`
    const details = hideKeyLikeDeep({denials: [{reason: `bad ${key}`, n: 3}], list: [key], ok: true})
    expect(JSON.stringify(details)).to.not.include(key.slice(13, 40))
    expect(details.denials[0].n).to.equal(3)
    expect(details.ok).to.equal(true)
  })
})
