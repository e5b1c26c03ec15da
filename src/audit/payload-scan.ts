/**
 * The hot-path stand-in for parsePayload(bytes, false) when walking the chain. JSON.parse plus the
 * field checks cost ~4 µs of a ~10 µs record in `audit verify`, and the chain only needs seq,
 * segment, sealed, outcome, whether the type is 'audit.repair' (those two decide whether the record
 * may be unsealed) and whether prev is the previous hash; this scanner type-checks a payload in
 * place, in one pass, without building strings.
 *
 * It never reports a problem. It returns true only for payloads it can prove parsePayload would
 * accept, with the same seq, segment, sealed, outcome, type test and prev; on anything it does not
 * handle (whitespace, escapes in keys, prev, outcome or type, exponents, duplicate or unknown keys,
 * malformed input) it returns false
 * and the caller runs parsePayload, which then decides and words the problem. Records written by
 * encodeRecord (canonical JSON) take this path unless their data holds a number that JSON writes
 * with an exponent. test/audit/payload-scan.test.ts holds the two to each other on fuzzed input.
 */

import {type AuditOutcome, OUTCOMES} from './events.js'

/** What ChainState needs from a payload. */
export interface PayloadHead {
  seq: number
  segment: number
  sealed: boolean
  /** one of the OUTCOMES strings themselves, so filling it in allocates nothing */
  outcome: AuditOutcome
  /** type is exactly 'audit.repair' */
  repair: boolean
  /** prev, decoded as Buffer#write(prev, 'hex') would, equals the expected previous hash */
  linked: boolean
}

// Field numbers in canonicalJson's (sorted) key order, so trying the next name first usually matches.
const NAMES = ['asset', 'capability', 'data', 'outcome', 'pid', 'prev', 'provider', 'reason', 'sealed', 'segment', 'seq', 'ts', 'type']
const DATA = 2
const OUTCOME = 3
const PID = 4
const PREV = 5
const SEALED = 8
const SEGMENT = 9
const SEQ = 10
const TYPE = 12
const NAME_BYTES = NAMES.map((name) => ascii(name))
const REQUIRED = ['outcome', 'pid', 'prev', 'sealed', 'segment', 'seq', 'ts', 'type'].reduce((mask, name) => mask | (1 << NAMES.indexOf(name)), 0)
const OUTCOME_BYTES = OUTCOMES.map((word) => ascii(word))
const REPAIR_TYPE = ascii('"audit.repair"')
const NULL = ascii('null')
const TRUE = ascii('true')
const FALSE = ascii('false')

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0))
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const MINUS = 0x2d
const DOT = 0x2e
const ZERO = 0x30
const NINE = 0x39
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

/** 0-15 for an ASCII hex digit (either case), -1 otherwise. */
const HEX = (() => {
  const table = new Int8Array(256).fill(-1)
  for (let c = 0; c < 10; c++) table[ZERO + c] = c
  for (let c = 0; c < 6; c++) table[0x61 + c] = table[0x41 + c] = 10 + c
  return table
})()
/** the characters JSON allows after a backslash, other than u */
const SIMPLE_ESCAPE = (() => {
  const table = new Uint8Array(256)
  for (const c of '"\\/bfnrt') table[c.charCodeAt(0)] = 1
  return table
})()

// Number.MAX_SAFE_INTEGER has 16 digits. The first 15 accumulate exactly; with a 16th, a value up
// to MAX_SAFE_INTEGER is still exact and a larger one rounds to 2^53 or more, and is turned down.
const MAX_INT_DIGITS = 16
// a JSON number without exponent parses to a finite double while its integer part has at most 308 digits
const MAX_FINITE_DIGITS = 300

// the value read by readInteger (module state keeps the scanner free of per-record allocation)
let integer = 0

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE
}

function matchWord(b: Uint8Array, i: number, word: Uint8Array): boolean {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) return false
  return true
}

/** The field whose quoted name starts at b[i], trying from `hint` on (sorted order); -1 if none. */
function fieldAt(b: Uint8Array, i: number, hint: number): number {
  for (let f = hint; f < NAME_BYTES.length; f++) {
    const name = NAME_BYTES[f]
    if (matchWord(b, i, name) && b[i + name.length] === QUOTE) return f
  }
  for (let f = 0; f < hint; f++) {
    const name = NAME_BYTES[f]
    if (matchWord(b, i, name) && b[i + name.length] === QUOTE) return f
  }
  return -1
}

/** End of the JSON string at b[i] (after its closing quote), or -1. */
function skipString(b: Uint8Array, i: number, end: number): number {
  if (b[i] !== QUOTE) return -1
  i++
  while (i < end) {
    const c = b[i]
    // most bytes are letters or digits: one or two comparisons rule out '"', '\\' and controls
    if (c > BACKSLASH || (c > QUOTE && c < BACKSLASH)) {
      i++
      continue
    }
    if (c === QUOTE) return i + 1
    if (c === BACKSLASH) {
      const e = b[i + 1]
      if (SIMPLE_ESCAPE[e] === 1) {
        i += 2
        continue
      }
      if (e !== 0x75 || i + 6 > end || (HEX[b[i + 2]] | HEX[b[i + 3]] | HEX[b[i + 4]] | HEX[b[i + 5]]) < 0) return -1
      i += 6
      continue
    }
    // raw control characters are not allowed; bytes >= 0x80 decode to U+0080 and up (or U+FFFD),
    // and a UTF-8 decoder never swallows an ASCII byte such as the closing quote
    if (c < 0x20) return -1
    i++
  }
  return -1
}

/** A safe, non-negative (or, with `signed`, any safe) integer at b[i] into `integer`; its end or -1. */
function readInteger(b: Uint8Array, i: number, end: number, signed: boolean): number {
  let negative = false
  if (signed && b[i] === MINUS) {
    negative = true
    i++
  }
  if (b[i] === ZERO) {
    integer = 0
    return i + 1
  }
  let value = 0
  const start = i
  while (i < end && isDigit(b[i]) && i - start < MAX_INT_DIGITS) value = value * 10 + (b[i++] - ZERO)
  if (i === start || value > Number.MAX_SAFE_INTEGER) return -1
  integer = negative ? -value : value
  return i
}

/** A JSON number without exponent (so surely finite) at b[i]; its end or -1. */
function skipNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === MINUS) i++
  const start = i
  if (b[i] === ZERO) i++
  else while (i < end && isDigit(b[i]) && i - start < MAX_FINITE_DIGITS) i++
  if (i === start) return -1
  if (b[i] === DOT) {
    const fraction = ++i
    while (i < end && isDigit(b[i])) i++
    if (i === fraction) return -1
  }
  return i
}

/** ["...", ...]; its end or -1. */
function skipStringArray(b: Uint8Array, i: number, end: number): number {
  i++
  if (b[i] === CLOSE_BRACKET) return i + 1
  for (;;) {
    i = skipString(b, i, end)
    if (i < 0) return -1
    if (b[i] === CLOSE_BRACKET) return i + 1
    if (b[i] !== COMMA) return -1
    i++
  }
}

/** validData: an object whose values are null, booleans, finite numbers, strings or string arrays. */
function skipData(b: Uint8Array, i: number, end: number): number {
  if (b[i] !== OPEN_BRACE) return -1
  i++
  if (b[i] === CLOSE_BRACE) return i + 1
  for (;;) {
    i = skipString(b, i, end)
    if (i < 0 || b[i] !== COLON) return -1
    i++
    const c = b[i]
    if (c === QUOTE) i = skipString(b, i, end)
    else if (c === OPEN_BRACKET) i = skipStringArray(b, i, end)
    else if (c === MINUS || isDigit(c)) i = skipNumber(b, i, end)
    else if (matchWord(b, i, NULL)) i += 4
    else if (matchWord(b, i, TRUE)) i += 4
    else if (matchWord(b, i, FALSE)) i += 5
    else return -1
    // duplicate keys are fine: every value was checked, so whichever JSON.parse keeps is valid
    if (i < 0) return -1
    if (b[i] === CLOSE_BRACE) return i + 1
    if (b[i] !== COMMA) return -1
    i++
  }
}

/** outcome: one of OUTCOMES, written plainly, into head.outcome; its end or -1. */
function readOutcome(b: Uint8Array, i: number, head: PayloadHead): number {
  if (b[i] !== QUOTE) return -1
  for (let k = 0; k < OUTCOME_BYTES.length; k++) {
    const word = OUTCOME_BYTES[k]
    if (matchWord(b, i + 1, word) && b[i + 1 + word.length] === QUOTE) {
      head.outcome = OUTCOMES[k]
      return i + word.length + 2
    }
  }
  return -1
}

/**
 * type: any string without escapes (written types never have any, and an escaped one might decode
 * to 'audit.repair'); sets head.repair to whether it is exactly that. Its end or -1.
 */
function readType(b: Uint8Array, i: number, end: number, head: PayloadHead): number {
  const after = skipString(b, i, end)
  if (after < 0) return -1
  for (let k = i + 1; k < after - 1; k++) if (b[k] === BACKSLASH) return -1
  head.repair = after - i === REPAIR_TYPE.length && matchWord(b, i, REPAIR_TYPE)
  return after
}

/**
 * prev: 64 hex digits, plainly written. Sets head.linked to whether they spell `expected`, checking
 * every digit even after a difference (a non-digit means "not proven"); its end or -1.
 */
function readPrev(b: Uint8Array, i: number, expected: Uint8Array, head: PayloadHead): number {
  if (b[i] !== QUOTE || b[i + 65] !== QUOTE) return -1
  let invalid = 0
  let diff = 0
  for (let k = 0, at = i + 1; k < 32; k++, at += 2) {
    const hi = HEX[b[at]]
    const lo = HEX[b[at + 1]]
    invalid |= hi | lo
    diff |= ((hi << 4) | lo) ^ expected[k]
  }
  if (invalid < 0) return -1
  head.linked = diff === 0
  return i + 66
}

/**
 * Prove that the payload in b[start, end) is one parsePayload(payload, false) accepts and fill
 * `head` from it, comparing prev with the 32-byte `expected`; false means "not proven" (take the
 * slow path), never "invalid".
 */
export function scanPayload(b: Uint8Array, start: number, end: number, expected: Uint8Array, head: PayloadHead): boolean {
  if (end - start < 2 || b[start] !== OPEN_BRACE) return false
  let i = start + 1
  let seen = 0
  let hint = 0
  for (;;) {
    if (b[i] !== QUOTE) return false
    const f = fieldAt(b, i + 1, hint)
    if (f < 0 || (seen & (1 << f)) !== 0) return false
    i += NAME_BYTES[f].length + 2
    if (b[i] !== COLON) return false
    seen |= 1 << f
    hint = f + 1
    i++
    switch (f) {
      case DATA:
        i = skipData(b, i, end)
        break
      case OUTCOME:
        i = readOutcome(b, i, head)
        break
      case PID:
        i = readInteger(b, i, end, true)
        break
      case PREV:
        i = readPrev(b, i, expected, head)
        break
      case SEALED:
        if (matchWord(b, i, TRUE)) {
          head.sealed = true
          i += 4
        } else if (matchWord(b, i, FALSE)) {
          head.sealed = false
          i += 5
        } else return false
        break
      case SEGMENT:
        i = readInteger(b, i, end, false)
        head.segment = integer
        break
      case SEQ:
        i = readInteger(b, i, end, false)
        head.seq = integer
        break
      case TYPE:
        i = readType(b, i, end, head)
        break
      default: // asset, capability, provider, reason, ts: any string
        i = skipString(b, i, end)
    }
    // positions only grow, so a value read past `end` fails here
    if (i < 0 || i >= end) return false
    if (b[i] === COMMA) {
      i++
      continue
    }
    return b[i] === CLOSE_BRACE && i + 1 === end && (seen & REQUIRED) === REQUIRED
  }
}
