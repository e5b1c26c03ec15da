import crypto from 'node:crypto'
import {expect} from 'chai'
import {KeywordScanner, type KeywordHit} from '../../src/ingest/keyword-scanner.js'
import {compileSignatures} from '../../src/ingest/signatures.js'
import {loadCatalog} from '../../src/secrets/providers/catalog.js'

/** Every occurrence, by brute force: offset order, then registration order. */
function naive(keywords: string[], text: Buffer): KeywordHit[] {
  const lower = Buffer.from(text.toString('latin1').replace(/[A-Z]/g, (c) => c.toLowerCase()), 'latin1')
  const list = [...new Set(keywords.map((k) => k.toLowerCase()))].filter((k) => k.length >= 2)
  const hits: KeywordHit[] = []
  for (let offset = 0; offset < lower.length; offset++) {
    for (const keyword of list) if (lower.subarray(offset, offset + keyword.length).toString('latin1') === keyword) hits.push({offset, keyword})
  }
  return hits
}

/** Random text over an alphabet rich in keyword bytes, in mixed case. */
function randomText(length: number): Buffer {
  const alphabet = 'aAbBcC.-_ xXoOpPeEnNiI3\n\0\u00e9'
  const bytes = crypto.randomBytes(length)
  return Buffer.from(Array.from(bytes, (b) => alphabet.charCodeAt(b % alphabet.length) & 0xff))
}

describe('ingest keyword scanner', () => {
  const sets: Record<string, string[]> = {
    // all >= 3 bytes: the two-bytes-at-a-time path
    long: ['openai', 'chatopenai', 'azureopenai', 'open', 'pen', 'abc', 'bca', 'c.a', 'x-o_', 'AbCaB', 'xxx', 'aaaa', 'ai ai', 'openai'],
    // a two-byte keyword: every offset
    short: ['ab', 'openai', 'pen', 'b.', 'xxx', 'ca'],
  }
  for (const [name, keywords] of Object.entries(sets)) {
    it(`finds exactly what brute force finds (${name} keywords), at any buffer offset`, () => {
      const scanner = new KeywordScanner(keywords)
      for (let round = 0; round < 300; round++) {
        const text = randomText(round % 50 === 0 ? 3000 : round % 40)
        const expected = naive(keywords, text)
        expect(scanner.scan(text), text.toString('latin1')).to.deep.equal(expected)
        // odd and even offsets into a bigger allocation, and a length shorter than the buffer
        for (const shift of [1, 2, 3]) {
          const backing = Buffer.alloc(text.length + shift + 5, 'o')
          text.copy(backing, shift)
          const view = backing.subarray(shift)
          expect(scanner.scan(view, text.length)).to.deep.equal(expected)
        }
      }
    })
  }

  it('finds exactly what brute force finds with the built-in catalog, whose keywords share pairs', () => {
    // Many keywords share prefixes (create*, chat*, async*), so pairs, buckets and masks are shared.
    const keywords = [...compileSignatures(loadCatalog([]).providers).byKeyword.keys()]
    const scanner = new KeywordScanner(keywords)
    const pieces = [...keywords, ...keywords.map((k) => k.toUpperCase()), ...keywords.map((k) => k.slice(1)), ...keywords.map((k) => k.slice(0, -1)), ' ', '\n', 'x', 'e']
    for (let round = 0; round < 12; round++) {
      const picks = crypto.randomBytes(200)
      const text = Buffer.from(Array.from(picks, (b, i) => pieces[(b * 256 + picks[(i + 1) % picks.length]) % pieces.length]).join(''), 'latin1')
      const expected = naive(keywords, text)
      expect(expected.length).to.be.greaterThan(0)
      for (const shift of [0, 1, 2, 3]) {
        const backing = Buffer.alloc(text.length + shift + 5, 'o')
        text.copy(backing, shift)
        expect(scanner.scan(backing.subarray(shift), text.length)).to.deep.equal(expected)
      }
    }
  })

  it('finds nothing with no keywords and in tiny inputs', () => {
    expect(new KeywordScanner([]).scan(Buffer.from('openai'))).to.deep.equal([])
    expect(new KeywordScanner([]).empty).to.equal(true)
    expect(new KeywordScanner(['a', 'ab']).scan(Buffer.from('a'))).to.deep.equal([])
    expect(new KeywordScanner(['ab']).scan(Buffer.from('xAB'))).to.deep.equal([{offset: 1, keyword: 'ab'}])
  })
})
