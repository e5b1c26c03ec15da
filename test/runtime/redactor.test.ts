import {randomBytes, randomInt} from 'node:crypto'
import {Readable, Writable} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import {expect} from 'chai'

import {FRAGMENT_BYTES, createRedactStream, redactAll, Redactor, secretForms, shortMaskedSecrets} from '../../src/runtime/redactor.js'
import {canary, sleep} from './helpers.js'

const B = (s: string) => Buffer.from(s, 'utf8')

function streamThrough(redactor: Redactor, chunks: Buffer[]): string {
  const out = chunks.map((c) => redactor.push(c))
  out.push(redactor.flush())
  return Buffer.concat(out).toString('utf8')
}

function splitAt(data: Buffer, cuts: number[]): Buffer[] {
  const chunks: Buffer[] = []
  let prev = 0
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    chunks.push(data.subarray(prev, cut))
    prev = cut
  }
  chunks.push(data.subarray(prev))
  return chunks
}

describe('runtime/redactor', () => {
  it('masks a canary printed whole', () => {
    const value = canary()
    const out = redactAll([{env: 'OPENAI_API_KEY', value}], B(`key=${value}\n`)).toString()
    expect(out).to.equal('key=[REDACTED:OPENAI_API_KEY]\n')
  })

  it('masks a canary split at every byte position (no delay)', () => {
    const value = canary()
    const text = B(`before ${value} after`)
    for (let cut = 0; cut <= text.length; cut++) {
      const out = streamThrough(new Redactor([{env: 'K', value}]), splitAt(text, [cut]))
      expect(out, `cut at ${cut}`).to.equal('before [REDACTED:K] after')
    }
  })

  it('masks a canary split across two writes 300 ms apart, emitting the safe part at once', async () => {
    const value = canary()
    const redactor = new Redactor([{env: 'K', value}])
    const first = redactor.push(B(`hello ${value.slice(0, 17)}`))
    expect(first.toString()).to.equal('hello ')
    expect(redactor.pending).to.equal(17)
    await sleep(300)
    const second = redactor.push(B(`${value.slice(17)} bye`))
    expect(Buffer.concat([first, second, redactor.flush()]).toString()).to.equal('hello [REDACTED:K] bye')
  })

  it('masks every base64 form (standard and url-safe, padded or not)', () => {
    for (let i = 0; i < 20; i++) {
      // lengths 1..3 mod 3 give every padding; + and / appear often enough with random bytes
      const value = randomBytes(28 + (i % 3)).toString('latin1')
      const b64 = Buffer.from(value, 'utf8').toString('base64')
      const url = b64.replaceAll('+', '-').replaceAll('/', '_')
      for (const form of [b64, b64.replace(/=+$/, ''), url, url.replace(/=+$/, '')]) {
        const out = redactAll([{env: 'K', value}], B(`x ${form} y`)).toString()
        expect(out).to.equal('x [REDACTED:K] y')
      }
    }
  })

  it('masks a secret base64-encoded inside a larger blob (e.g. Basic auth)', () => {
    for (const user of ['u', 'us', 'use']) {
      const value = canary()
      const blob = Buffer.from(`${user}:${value}`).toString('base64')
      const out = redactAll([{env: 'K', value}], B(`Authorization: Basic ${blob}`)).toString()
      expect(out).to.include('[REDACTED:K]')
      // what is left of the blob is too short to carry the secret
      const leftover = out.replace('Authorization: Basic ', '').replace('[REDACTED:K]', '')
      expect(leftover.length).to.be.lessThan(12)
    }
  })

  it('masks URL-encoded forms of canaries with characters that need encoding', () => {
    const value = canary(' &?/=%+é')
    const encoded = encodeURIComponent(value)
    expect(encoded).to.not.equal(value)
    const out = redactAll([{env: 'K', value}], B(`GET /?key=${encoded}&x=1`)).toString()
    expect(out).to.equal('GET /?key=[REDACTED:K]&x=1')
  })

  it('masks JSON-escaped forms (quote, backslash, newline)', () => {
    const value = canary('"\\\n\t')
    const escaped = JSON.stringify(value).slice(1, -1)
    const out = redactAll([{env: 'K', value}], B(JSON.stringify({key: value}))).toString()
    expect(out).to.equal('{"key":"[REDACTED:K]"}')
    expect(out).to.not.include(escaped)
  })

  it('handles multi-byte UTF-8 split across chunks', () => {
    const value = `ключ-${canary()}-🔑`
    const text = B(`→ ${value} ←`)
    for (let cut = 0; cut <= text.length; cut++) {
      const out = streamThrough(new Redactor([{env: 'K', value}]), splitAt(text, [cut]))
      expect(out).to.equal('→ [REDACTED:K] ←')
    }
  })

  it('passes output that cannot match straight through (same buffer, nothing held)', () => {
    const value = canary()
    const redactor = new Redactor([{env: 'K', value}])
    // no byte of the noise can start any form of the secret
    const firsts = new Set(secretForms([{env: 'K', value}]).map((f) => f.bytes[0]))
    let noise = ''
    while (noise.length < 1000) {
      const ch = String.fromCharCode(32 + randomInt(95))
      if (!firsts.has(ch.charCodeAt(0))) noise += ch
    }
    const chunk = B(noise)
    expect(redactor.push(chunk)).to.equal(chunk)
    expect(redactor.pending).to.equal(0)
    expect(redactor.flush().length).to.equal(0)
  })

  it('holds only a possible prefix and releases it as soon as it cannot match', () => {
    const value = 'Zq9' + canary()
    const redactor = new Redactor([{env: 'K', value}])
    expect(redactor.push(B('text Zq')).toString()).to.equal('text ')
    expect(redactor.pending).to.equal(2)
    expect(redactor.push(B('!')).toString()).to.equal('Zq!')
    expect(redactor.pending).to.equal(0)
    expect(redactor.push(B('end Z')).toString()).to.equal('end ')
    expect(redactor.flush().toString()).to.equal('Z')
  })

  it('masks overlapping secrets, longest first', () => {
    const short = canary()
    const long = `${short}${canary()}`
    const secrets = [{env: 'SHORT', value: short}, {env: 'LONG', value: long}]
    const text = B(`a ${long} b ${short} c`)
    for (let cut = 0; cut <= text.length; cut++) {
      const out = streamThrough(new Redactor(secrets), splitAt(text, [cut]))
      expect(out).to.equal('a [REDACTED:LONG] b [REDACTED:SHORT] c')
    }
    // the short one alone at the very end, where the long one could still have followed
    expect(streamThrough(new Redactor(secrets), [B(`x ${short}`)])).to.equal('x [REDACTED:SHORT]')
  })

  it('ignores empty secret values and works with no secrets', () => {
    const chunk = B('anything at all')
    expect(new Redactor([{env: 'EMPTY', value: ''}]).push(chunk)).to.equal(chunk)
    expect(new Redactor([]).push(chunk)).to.equal(chunk)
  })

  /**
   * What the redactor must produce, the slow way: at each position the longest whole form of a secret,
   * else the longest run of some secret's bytes if it is at least FRAGMENT_BYTES long, else the byte itself.
   */
  function reference(secrets: {env: string; value: string}[], text: string): string {
    const forms = secretForms(secrets).filter((form) => !form.extend)
    const data = B(text)
    let out = ''
    let i = 0
    outer: while (i < data.length) {
      for (const form of forms) {
        if (data.subarray(i, i + form.bytes.length).equals(form.bytes)) {
          out += form.replacement.toString()
          i += form.bytes.length
          continue outer
        }
      }
      let best = {length: 0, env: ''}
      for (const {env, value} of secrets) {
        const raw = B(value)
        if (raw.length < FRAGMENT_BYTES + 8) continue
        for (let j = 0; j < raw.length; j++) {
          let length = 0
          while (i + length < data.length && j + length < raw.length && data[i + length] === raw[j + length]) length++
          if (length > best.length) best = {length, env}
        }
      }
      if (best.length >= FRAGMENT_BYTES) {
        out += `[REDACTED:${best.env}]`
        i += best.length
      } else {
        out += String.fromCharCode(data[i])
        i++
      }
    }
    return out
  }

  it('masks a key printed truncated, cut in the middle or in two long pieces; a short prefix passes', () => {
    const value = canary() + canary()
    const secrets = [{env: 'K', value}]
    const cases: [string, string][] = [
      [`key=${value.slice(0, -1)}!`, 'key=[REDACTED:K]!'],
      [`tail ${value.slice(30)} end`, 'tail [REDACTED:K] end'],
      [`${value.slice(0, 40)}\n${value.slice(40)}`, '[REDACTED:K]\n[REDACTED:K]'],
      [`mid ${value.slice(10, 10 + FRAGMENT_BYTES)}`, 'mid [REDACTED:K]'],
      [`id ${value.slice(0, FRAGMENT_BYTES - 1)}...`, `id ${value.slice(0, FRAGMENT_BYTES - 1)}...`],
    ]
    for (const [text, expected] of cases) {
      for (let cut = 0; cut <= text.length; cut++) expect(streamThrough(new Redactor(secrets), splitAt(B(text), [cut]))).to.equal(expected)
    }
    // short keys, and values with whitespace (a credentials file), are masked whole only
    const short = canary().slice(0, FRAGMENT_BYTES + 7)
    expect(redactAll([{env: 'S', value: short}], B(short.slice(0, -1))).toString()).to.equal(short.slice(0, -1))
    const json = `{"private_key": "${canary()}${canary()}"}`
    expect(redactAll([{env: 'J', value: json}], B(json.slice(0, -2))).toString()).to.equal(json.slice(0, -2))
  })

  it('property: random chunkings give the reference result and never pass a long run of a canary', () => {
    for (let round = 0; round < 150; round++) {
      const secrets = Array.from({length: 1 + randomInt(3)}, (_, i) => ({env: `SECRET_${i}`, value: canary()}))
      const pieces: string[] = []
      for (let i = 0; i < 12; i++) {
        const kind = randomInt(5)
        const value = secrets[randomInt(secrets.length)].value
        if (kind === 0) pieces.push(value)
        // a partial canary, from its start or from inside: the hold-back and fragment paths
        else if (kind === 1) pieces.push(value.slice(0, 1 + randomInt(39)) + '#')
        else if (kind === 2) pieces.push(value.slice(randomInt(39)) + '#')
        else pieces.push(randomBytes(randomInt(200)).toString('hex').replaceAll('[', ''))
      }
      const text = pieces.join(' ')
      const data = B(text)
      const cuts = Array.from({length: randomInt(20)}, () => randomInt(data.length + 1))
      const out = streamThrough(new Redactor(secrets), splitAt(data, cuts))
      expect(out).to.equal(reference(secrets, text))
      expect(out).to.equal(redactAll(secrets, data).toString())
      for (const s of secrets) {
        for (let j = 0; j + FRAGMENT_BYTES <= s.value.length; j++) expect(out.includes(s.value.slice(j, j + FRAGMENT_BYTES)), 'a long run of a canary passed').to.equal(false)
      }
    }
  })

  it('createRedactStream masks through a stream pipeline, one byte per chunk', async () => {
    const value = canary('"\n')
    const input = B(`raw ${value} json ${JSON.stringify(value)} url ${encodeURIComponent(value)} end`)
    const chunks: Buffer[] = []
    await pipeline(
      Readable.from([...input].map((b) => Buffer.from([b]))),
      createRedactStream([{env: 'K', value}]),
      new Writable({
        write(chunk: Buffer, _e, cb) {
          chunks.push(chunk)
          cb()
        },
      }),
    )
    expect(Buffer.concat(chunks).toString()).to.equal('raw [REDACTED:K] json "[REDACTED:K]" url [REDACTED:K] end')
  })

  it('names the secrets too short to mask reliably, without their values', () => {
    const secrets = [{env: 'SHORT', value: 'abcd'}, {env: 'LONG', value: canary()}, {env: 'EMPTY', value: ''}]
    expect(shortMaskedSecrets(secrets)).to.deep.equal(['SHORT'])
  })
})
