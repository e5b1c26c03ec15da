import {randomBytes} from 'node:crypto'

import {expect} from 'chai'

import type {AuditData, AuditEvent} from '../../src/audit/events.js'
import {type PayloadHead, scanPayload} from '../../src/audit/payload-scan.js'
import {canonicalJson, parsePayload, payloadFor} from '../../src/audit/record.js'

interface Verdict {
  seq: number
  segment: number
  sealed: boolean
  outcome: string
  repair: boolean
  linked: boolean
}

/** What ChainState's slow path concludes: parsePayload(bytes, false), then prev decoded as Buffer#write does. */
function slow(bytes: Buffer, expected: Buffer): Verdict | string {
  const payload = parsePayload(bytes, false)
  if (typeof payload === 'string') return payload
  const decoded = Buffer.alloc(32)
  const linked = payload.prev.length === 64 && decoded.write(payload.prev, 0, 32, 'hex') === 32 && decoded.equals(expected)
  return {seq: payload.seq, segment: payload.segment, sealed: payload.sealed, outcome: payload.outcome, repair: payload.type === 'audit.repair', linked}
}

/**
 * The scanner's verdict on bytes placed inside a larger buffer, followed by `after` (by default
 * random bytes), so that reading past the end would show; null when it leaves the payload to parsePayload.
 */
function fast(bytes: Buffer, expected: Buffer, after: Buffer = randomBytes(80)): Verdict | null {
  const before = randomBytes(17)
  const buf = Buffer.concat([before, bytes, after])
  // stale values from an earlier record must not leak into this one's verdict
  const head: PayloadHead = {seq: -1, segment: -1, sealed: false, outcome: pick(['allow', 'deny', 'ok', 'error'] as const), repair: Math.random() < 0.5, linked: false}
  if (!scanPayload(buf, before.length, before.length + bytes.length, expected, head)) return null
  return {seq: head.seq, segment: head.segment, sealed: head.sealed, outcome: head.outcome, repair: head.repair, linked: head.linked}
}

/** The scanner may decline anything, but whatever it accepts parsePayload must accept the same way. */
function agree(bytes: Buffer, expected: Buffer, after?: Buffer): boolean {
  const verdict = fast(bytes, expected, after)
  if (verdict === null) return false
  expect(slow(bytes, expected), bytes.toString('latin1')).to.deep.equal(verdict)
  return true
}

const WORDS = ['', 'a', 'asset-7', 'run.allow', 'ünïcödé ✓ 🎉', 'quote " back \\ slash / tab \t nl \n', '\u0000\u001f\u007f', '\ud800 lone', 'CVA1']

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]
}

function randomData(): AuditData {
  const data: AuditData = {}
  const count = Math.floor(Math.random() * 5)
  for (let k = 0; k < count; k++) {
    const values = [null, true, false, 0, -1, 42, 3.25, -0.5, 1e21, 2 ** 53, pick(WORDS), [], [pick(WORDS), pick(WORDS)]]
    data[pick(['names', 'exitCode', 'durationMs', 'x', 'ü', ''])] = pick(values)
  }
  return data
}

function randomPayload(prev: Buffer): Buffer {
  const event: AuditEvent = {type: pick(['run.allow', 'session.deny', 'audit.repair']), outcome: pick(['allow', 'deny', 'ok', 'error'] as const)}
  if (Math.random() < 0.5) event.reason = pick(WORDS)
  if (Math.random() < 0.5) event.asset = pick(WORDS)
  if (Math.random() < 0.5) event.provider = pick(WORDS)
  if (Math.random() < 0.3) event.capability = pick(WORDS)
  if (Math.random() < 0.7) event.data = randomData()
  const seq = pick([0, 1, 9, 10, 123_456, 2 ** 40, Number.MAX_SAFE_INTEGER])
  const payload = payloadFor(event, {
    seq, prev: prev.toString('hex'), segment: pick([0, 3, 1000]), ts: new Date(1.7e12 + (seq % 1e9)).toISOString(), pid: pick([1, 4242, 2 ** 31]), sealed: Math.random() < 0.5,
  })
  return Buffer.from(canonicalJson(payload), 'utf8')
}

const INTERESTING = [...'"\\{}[],: \t09-.eEaFu', '\u0000', '\u001f', '\u007f'].map((c) => c.charCodeAt(0)).concat([0x80, 0xc3, 0xe2, 0xf0, 0xff])

function mutate(bytes: Buffer): Buffer {
  const at = Math.floor(Math.random() * bytes.length)
  const byte = Math.random() < 0.7 ? pick(INTERESTING) : Math.floor(Math.random() * 256)
  switch (Math.floor(Math.random() * 5)) {
    case 0: {
      const copy = Buffer.from(bytes)
      copy[at] = byte
      return copy
    }
    case 1:
      return Buffer.concat([bytes.subarray(0, at), Buffer.from([byte]), bytes.subarray(at)])
    case 2:
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)])
    case 3: {
      const end = Math.min(bytes.length, at + 1 + Math.floor(Math.random() * 20))
      return Buffer.concat([bytes.subarray(0, end), bytes.subarray(at)])
    }
    default:
      return bytes.subarray(0, at)
  }
}

describe('audit payload scanner (fast path of parsePayload)', () => {
  it('takes the fast path for canonical payloads and reads them as parsePayload does', () => {
    let fastCount = 0
    for (let n = 0; n < 2000; n++) {
      const prev = randomBytes(32)
      const bytes = randomPayload(prev)
      const linked = agree(bytes, prev)
      // canonical JSON only falls back for exponents (1e21) in data
      if (!linked) expect(bytes.toString()).to.match(/[:,[]-?\d+(\.\d+)?e/)
      else fastCount++
      if (linked) expect(fast(bytes, prev)?.linked).to.equal(true)
      agree(bytes, randomBytes(32))
    }
    expect(fastCount).to.be.greaterThan(1000)
  })

  it('never accepts what parsePayload rejects, or reads it differently, on mutated payloads', () => {
    let accepted = 0
    for (let n = 0; n < 300; n++) {
      const prev = randomBytes(32)
      let bytes = randomPayload(prev)
      for (let m = 0; m < 40; m++) {
        bytes = m % 10 === 0 ? randomPayload(prev) : mutate(bytes)
        if (agree(bytes, prev)) accepted++
      }
    }
    // mutations inside string values keep payloads valid: some must have taken the fast path
    expect(accepted).to.be.greaterThan(1000)
  })

  it('does not read past the end, even when the bytes after it would complete the payload', () => {
    const prev = randomBytes(32)
    for (let n = 0; n < 200; n++) {
      const bytes = randomPayload(prev)
      for (let cut = 0; cut < bytes.length; cut += 1 + Math.floor(Math.random() * 5)) {
        expect(fast(bytes.subarray(0, cut), prev, bytes.subarray(cut))).to.equal(null)
      }
    }
  })

  it('handles the corner cases of JSON and of the field checks as parsePayload does', () => {
    const prev = randomBytes(32)
    const hex = prev.toString('hex')
    const base = {outcome: 'ok', pid: 1, prev: hex, sealed: true, segment: 0, seq: 5, ts: 't', type: 'x'}
    const json = (value: unknown): string => canonicalJson(value)
    const cases = [
      json(base),
      json({...base, prev: hex.toUpperCase()}),
      json({...base, prev: `${hex.slice(0, 63)}g`}),
      json({...base, prev: hex.slice(0, 62)}),
      json({...base, prev: 5}),
      json({...base, seq: -1}), json({...base, seq: 1.5}), json({...base, seq: 2 ** 53}), json({...base, segment: '0'}),
      json({...base, pid: -7}), json({...base, pid: 0.5}), json({...base, sealed: 'true'}), json({...base, sealed: null}),
      json({...base, outcome: 'maybe'}), json({...base, outcome: 'ok '}), json({...base, ts: 5}), json({...base, type: null}),
      json({...base, reason: null}), json({...base, asset: 5}), json({...base, extra: 1}),
      json({...base, data: null}), json({...base, data: []}), json({...base, data: {a: {b: 1}}}), json({...base, data: {a: [1]}}),
      json({...base, data: {a: [null]}}), json({...base, data: {}}), json({...base, data: {a: []}}),
      JSON.stringify(base, null, 1), // whitespace
      json(base).replace('"seq":5', '"seq":5.0'),
      json(base).replace('"seq":5', '"seq":5e0'),
      json(base).replace('"seq":5', '"seq":-0'),
      json(base).replace('"seq":5', '"seq":05'),
      json(base).replace('"seq":5', '"seq":1234567890123456'),
      json(base).replace('"pid":1', '"pid":-0'),
      json(base).replace('"seq":5', '"s\\u0065q":5'),
      json(base).replace('"seq":5', '"seq":5,"seq":6'),
      json(base).replace('"seq":5', '"seq":5,"__proto__":{}'),
      json(base).replace('"ts":"t"', '"ts":"\\u00e9\\n\\"\\/"'),
      json(base).replace('"ts":"t"', '"ts":"\\u00g9"'),
      json(base).replace('"ts":"t"', '"ts":"\\x"'),
      json(base).replace('"ts":"t"', '"ts":"a\tb"'),
      json(base).replace('"outcome":"ok"', '"outcome":"\\u006fk"'),
      json({...base, outcome: 'deny'}), json({...base, outcome: 'allow'}), json({...base, outcome: 'error'}), json({...base, outcome: 'Deny'}),
      json({...base, outcome: 'denied'}), json({...base, outcome: 'den'}),
      json({...base, type: 'audit.repair'}), json({...base, type: 'audit.repair', outcome: 'deny'}), json({...base, type: 'audit.repairs'}),
      json({...base, type: 'audit.repai'}), json({...base, type: 'Audit.repair'}), json({...base, type: ''}),
      json({...base, type: 'audit.repair'}).replace('audit.repair', 'audit\\u002erepair'),
      json({...base, type: 'audit.repair'}).replace('audit.repair', 'audit.repair\\u0000'),
      json({...base, type: 'audit.repair'}).replace('audit.repair', 'audit\\/repair'),
      json({...base, data: {n: 1}}).replace('"n":1', '"n":1e400'),
      json({...base, data: {n: 1}}).replace('"n":1', `"n":${'9'.repeat(400)}`),
      json({...base, data: {n: 1}}).replace('"n":1', `"n":${'9'.repeat(299)}.5`),
      json({...base, data: {n: 1}}).replace('"n":1', '"n":-'),
      json({...base, data: {n: 1}}).replace('"n":1', '"n":1.'),
      json({...base, data: {n: 1}}).replace('"n":1', '"n":tru'),
      json({...base, data: {n: 1}}).replace('"n":1', '"n":"a","n":{}'),
      json({...base, data: {n: 1}}).replace('"n":1', '"n":{},"n":"a"'),
      json({...base, data: {n: 1}}).replace('"n":1', '"__proto__":1'),
      json({...base, data: {n: 1}}).replace('"n":1', '"__proto__":{}'),
      json(base).replace('"seq":5', `"seq":${Number.MAX_SAFE_INTEGER}`),
      json(base).replace('"seq":5', `"seq":${Number.MAX_SAFE_INTEGER + 2}`),
      json(base).replace('"seq":5', '"seq":99999999999999999'),
      `\ufeff${json(base)}`,
      `${json(base)} `,
      `${json(base)}x`,
      json(base).slice(0, -1),
      '{}', '[]', 'null', '', '{',
    ]
    for (const text of cases) agree(Buffer.from(text, 'utf8'), prev)
    // raw bytes that are not UTF-8 inside strings, right before the closing quote
    for (const bad of [[0xe2], [0xf0, 0x9f, 0x98], [0xc3], [0x80], [0xff, 0xfe], [0xed, 0xa0, 0x80]]) {
      const bytes = Buffer.from(json({...base, asset: '@'}), 'utf8')
      const at = bytes.indexOf('@')
      agree(Buffer.concat([bytes.subarray(0, at), Buffer.from(bad), bytes.subarray(at + 1)]), prev)
    }
    expect(fast(Buffer.from(json(base)), prev)).to.deep.equal({seq: 5, segment: 0, sealed: true, outcome: 'ok', repair: false, linked: true})
    expect(fast(Buffer.from(json({...base, type: 'audit.repair', outcome: 'deny'})), prev)).to.deep.include({outcome: 'deny', repair: true})
    expect(fast(Buffer.from(json({...base, type: 'audit.repair'}).replace('audit.repair', 'audit\\u002erepair')), prev), 'an escaped type is left to parsePayload').to.equal(null)
    expect(fast(Buffer.from(json({...base, prev: hex.toUpperCase()})), prev)?.linked).to.equal(true)
    expect(fast(Buffer.from(json({...base, sealed: false, seq: 0, segment: 7})), randomBytes(32))).to.deep.equal({seq: 0, segment: 7, sealed: false, outcome: 'ok', repair: false, linked: false})
  })
})
