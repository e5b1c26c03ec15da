import {expect} from 'chai'

import {canonicalJson, parseCanonicalJson} from '../../src/secrets/canonical-json.js'
import {fromB64, toB64} from '../../src/secrets/crypto.js'

describe('canonical JSON', () => {
  it('sorts keys at every depth, drops undefined and has no whitespace', () => {
    expect(canonicalJson({b: 1, a: {d: [{z: 1, y: 2}], c: undefined}})).to.equal('{"a":{"d":[{"y":2,"z":1}]},"b":1}')
  })

  it('parses canonical text back to the same value', () => {
    const text = canonicalJson({v: 1, slots: [{id: 'x', kdf: {ops: 2}}], s: 'é\u0000'})
    expect(parseCanonicalJson(text)).to.deep.equal(JSON.parse(text))
  })

  it('refuses duplicate keys, even with the same value', () => {
    expect(parseCanonicalJson('{"a":1,"a":1}')).to.equal(undefined)
    expect(parseCanonicalJson('{"a":1,"a":2}')).to.equal(undefined)
    expect(parseCanonicalJson('{"x":{"a":1,"a":1}}')).to.equal(undefined)
  })

  it('refuses non-canonical spacing, key order and number forms', () => {
    for (const text of ['{"a": 1}', ' {"a":1}', '{"a":1}\n', '{\n"a":1}', '{"b":1,"a":2}', '{"a":1.0}', '{"a":1e2}', '{"a":"\\u0041"}', '[1, 2]']) {
      expect(parseCanonicalJson(text), text).to.equal(undefined)
    }
  })

  it('refuses text that is not JSON at all', () => {
    for (const text of ['', '{', 'undefined', '{"a":1}}', "{'a':1}"]) expect(parseCanonicalJson(text), text).to.equal(undefined)
  })

  it('keeps a __proto__ key as data instead of changing the prototype', () => {
    const value = parseCanonicalJson('{"__proto__":{"polluted":true}}') as Record<string, unknown> | undefined
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined)
    if (value !== undefined) expect(Object.getPrototypeOf(value)).to.equal(Object.prototype)
  })
})

describe('strict base64url (fromB64)', () => {
  it('round-trips and checks the length', () => {
    const bytes = Buffer.from([1, 2, 3, 250, 251])
    expect(fromB64(toB64(bytes))?.equals(bytes)).to.equal(true)
    expect(fromB64(toB64(bytes), 5)?.length).to.equal(5)
    expect(fromB64(toB64(bytes), 6)).to.equal(null)
  })

  it('refuses padding, whitespace, the standard alphabet and non-canonical trailing bits', () => {
    for (const text of ['AQID+g==', 'AQID+g', 'AQID/g', 'AQ ID', 'AQID\n', 'AQIE=', 'AR']) expect(fromB64(text), text).to.equal(null)
    expect(fromB64('AQ')?.equals(Buffer.from([1]))).to.equal(true)
  })
})
