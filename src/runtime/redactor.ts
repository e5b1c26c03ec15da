import {Transform} from 'node:stream'

export interface MaskSecret {
  env: string
  value: string
}

/** One byte sequence to mask and what replaces it. */
export interface SecretForm {
  bytes: Buffer
  replacement: Buffer
  /** a fragment of the raw secret: a match runs on for as long as the output goes on following `source` from `next` */
  extend?: {source: Buffer; next: number}
}
type Form = SecretForm

/** Below this many characters masking a secret also masks innocent output, and the secret is weak anyway. */
export const MIN_MASKABLE_LENGTH = 8

/** Names of secrets too short to mask reliably, for the caller's warning (values are never returned). */
export function shortMaskedSecrets(secrets: MaskSecret[], minLength = MIN_MASKABLE_LENGTH): string[] {
  return secrets.filter((s) => s.value.length > 0 && s.value.length < minLength).map((s) => s.env)
}

/** Below this many characters a base64 fragment of a mis-aligned secret is too likely to occur by chance. */
const MIN_SHIFTED_BASE64 = 16

/**
 * A run of this many bytes of a secret is masked wherever it appears, and from there for as long as
 * the output goes on following the secret: a key printed truncated (`key.slice(0, -1)`), cut by a
 * logger, or split in two long pieces is masked too. Shorter pieces (a recognisable prefix such as
 * `sk-proj-` plus a few characters) pass.
 */
export const FRAGMENT_BYTES = 24
/** Fragments are masked for secrets at least this long (so that a passed piece hides enough of them) and without whitespace (not a credentials file's JSON, whose pieces are ordinary text). */
const FRAGMENT_MIN_SECRET = FRAGMENT_BYTES + 8

function fragmentForms(raw: Buffer, replacement: Buffer): Form[] {
  if (raw.length < FRAGMENT_MIN_SECRET || /\s/.test(raw.toString('latin1'))) return []
  const forms: Form[] = []
  for (let start = 0; start + FRAGMENT_BYTES <= raw.length; start++) {
    forms.push({bytes: raw.subarray(start, start + FRAGMENT_BYTES), replacement, extend: {source: raw, next: start + FRAGMENT_BYTES}})
  }
  return forms
}

function toUrlSafe(b64: string): string {
  return b64.replaceAll('+', '-').replaceAll('/', '_')
}

/**
 * Base64 characters that depend only on the secret's bytes when the secret starts `shift` bytes into a
 * 3-byte group: this catches the secret inside a larger encoded blob such as `Basic base64(user:key)`.
 */
function shiftedBase64Core(value: Buffer, shift: number): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), value]).toString('base64')
  const firstBit = 8 * shift
  const endBit = 8 * (shift + value.length)
  const first = Math.ceil(firstBit / 6)
  const last = Math.floor(endBit / 6) // exclusive: char i is clean when 6i + 6 <= endBit
  return encoded.slice(first, last)
}

/** Every textual form a secret can take in program output, and its fragments; longest first so overlapping secrets mask completely. */
export function secretForms(secrets: MaskSecret[]): Form[] {
  const seen = new Map<string, Form>()
  const fragments = new Map<string, Form>()
  for (const {env, value} of secrets) {
    if (value.length === 0) continue
    const replacement = Buffer.from(`[REDACTED:${env}]`)
    const raw = Buffer.from(value, 'utf8')
    const b64 = raw.toString('base64')
    const candidates = [
      value,
      JSON.stringify(value).slice(1, -1),
      encodeURIComponent(value),
      b64,
      b64.replace(/=+$/, ''),
      toUrlSafe(b64),
      toUrlSafe(b64).replace(/=+$/, ''),
    ]
    for (const shift of [1, 2]) {
      const core = shiftedBase64Core(raw, shift)
      if (core.length >= MIN_SHIFTED_BASE64) candidates.push(core, toUrlSafe(core))
    }
    for (const candidate of candidates) {
      // the first secret to claim a form names it; later duplicates would be indistinguishable anyway
      if (candidate.length > 0 && !seen.has(candidate)) seen.set(candidate, {bytes: Buffer.from(candidate, 'utf8'), replacement})
    }
    for (const fragment of fragmentForms(raw, replacement)) {
      const key = fragment.bytes.toString('latin1')
      if (!fragments.has(key)) fragments.set(key, fragment)
    }
  }
  return [...seen.values(), ...fragments.values()].sort((a, b) => b.bytes.length - a.bytes.length)
}

/**
 * Wu-Manber multi-pattern search over all forms at once: a window of the shortest form's length slides over the
 * data, and a table keyed by the window's last three bytes says how far it can safely jump. On ordinary output the
 * window jumps almost its whole length each step, so one pass costs far less than one Buffer.indexOf per form.
 */
class FormSearch {
  private readonly m: number
  private readonly gram: number
  private readonly shift: Uint8Array | Uint16Array
  /** a Map, not a 32768-slot array: that was 256 KiB allocated per stream on every masked run's start */
  private readonly candidates = new Map<number, Form[]>()
  /** the form found by the last successful find() */
  found: Form | null = null

  constructor(forms: Form[]) {
    this.m = Math.min(...forms.map((f) => f.bytes.length))
    this.gram = this.m >= 3 ? 3 : 1
    const size = this.gram === 3 ? 1 << 15 : 256
    const defaultShift = this.m - this.gram + 1
    this.shift = defaultShift < 256 ? new Uint8Array(size) : new Uint16Array(size)
    this.shift.fill(Math.min(defaultShift, 0xffff))
    for (const form of forms) {
      const b = form.bytes
      for (let j = this.gram - 1; j < this.m; j++) {
        const h = this.hash(b, j)
        const s = this.m - 1 - j
        if (s < this.shift[h]) this.shift[h] = s
      }
      const h = this.hash(b, this.m - 1)
      const list = this.candidates.get(h)
      if (list === undefined) this.candidates.set(h, [form])
      else list.push(form) // forms arrive longest first
    }
  }

  private hash(data: Buffer, end: number): number {
    return this.gram === 3 ? ((data[end - 2] << 10) ^ (data[end - 1] << 5) ^ data[end]) & 0x7fff : data[end]
  }

  /** Start of the leftmost match at or after `from` (longest form there, in `found`), or -1. */
  find(data: Buffer, from: number): number {
    const n = data.length
    const m = this.m
    const shift = this.shift
    const three = this.gram === 3
    let p = from + m - 1
    while (p < n) {
      const h = three ? ((data[p - 2] << 10) ^ (data[p - 1] << 5) ^ data[p]) & 0x7fff : data[p]
      const s = shift[h]
      if (s > 0) {
        p += s
        continue
      }
      const start = p - m + 1
      for (const form of this.candidates.get(h)!) {
        const len = form.bytes.length
        if (start + len <= n && data[start] === form.bytes[0] && data.compare(form.bytes, 0, len, start, start + len) === 0) {
          this.found = form
          return start
        }
      }
      p++
    }
    this.found = null
    return -1
  }
}

/**
 * Streaming redactor whose output equals a leftmost-longest replacement over the whole stream, for any chunking.
 * It holds back only the shortest tail that could still become (part of) a match and emits everything else at once.
 */
export class Redactor {
  private readonly search: FormSearch | null
  /** whole forms indexed by their first byte: the tail check only looks at bytes that can start a form */
  private readonly byFirstByte: (Form[] | undefined)[] = Array.from({length: 256})
  /** the same for fragments, apart: they are many and short, so only the last FRAGMENT_BYTES - 1 bytes can start one */
  private readonly fragmentsByFirstByte: (Form[] | undefined)[] = Array.from({length: 256})
  private readonly maxLen: number
  private held: Buffer = Buffer.alloc(0)

  constructor(secrets: MaskSecret[]) {
    const forms = secretForms(secrets)
    this.search = forms.length > 0 ? new FormSearch(forms) : null
    this.maxLen = forms.length > 0 ? forms[0].bytes.length : 0
    for (const form of forms) ((form.extend ? this.fragmentsByFirstByte : this.byFirstByte)[form.bytes[0]] ??= []).push(form)
  }

  /** Bytes currently held back because they could still complete a match. */
  get pending(): number {
    return this.held.length
  }

  push(chunk: Buffer): Buffer {
    if (this.search === null) return chunk
    const data = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk
    return this.process(data, this.search, false)
  }

  flush(): Buffer {
    const data = this.held
    this.held = Buffer.alloc(0)
    if (data.length === 0 || this.search === null) return data
    return this.process(data, this.search, true)
  }

  private process(data: Buffer, search: FormSearch, final: boolean): Buffer {
    const n = data.length
    let holdFrom = final ? n : this.tailStart(data, 0)
    let parts: Buffer[] | null = null
    let pos = 0
    for (;;) {
      const at = search.find(data, pos)
      // a match starting in the held tail waits: a longer form, or an earlier one, may still complete there
      if (at === -1 || at >= holdFrom) break
      const form = search.found!
      const end = form.extend ? this.extent(data, at + form.bytes.length, form.extend, final) : at + form.bytes.length
      if (end === -1) {
        // a fragment that runs into the end of what has arrived may go on in the next chunk: wait for it
        holdFrom = at
        break
      }
      parts ??= []
      if (at > pos) parts.push(data.subarray(pos, at))
      parts.push(form.replacement)
      pos = end
      if (pos > holdFrom) holdFrom = final ? n : this.tailStart(data, pos)
    }

    this.held = holdFrom < n ? Buffer.from(data.subarray(holdFrom)) : Buffer.alloc(0)
    if (parts === null) return holdFrom === n ? data : data.subarray(0, holdFrom)
    if (holdFrom > pos) parts.push(data.subarray(pos, holdFrom))
    return Buffer.concat(parts)
  }

  /** Where a fragment match that reached `pos` ends: as far as data follows the secret; -1 when it may go on past the data. */
  private extent(data: Buffer, pos: number, extend: NonNullable<Form['extend']>, final: boolean): number {
    const {source} = extend
    let next = extend.next
    while (pos < data.length && next < source.length && data[pos] === source[next]) {
      pos++
      next++
    }
    return pos === data.length && next < source.length && !final ? -1 : pos
  }

  /** Smallest p >= from such that data[p..] is a proper prefix of some form (or data.length when none). */
  private tailStart(data: Buffer, from: number): number {
    const n = data.length
    const fragmentsFrom = n - FRAGMENT_BYTES + 1
    for (let p = Math.max(from, n - this.maxLen + 1); p < n; p++) {
      const rest = n - p
      const candidates = this.byFirstByte[data[p]]
      if (candidates !== undefined) {
        for (const form of candidates) {
          if (form.bytes.length > rest && data.compare(form.bytes, 0, rest, p, n) === 0) return p
        }
      }
      const fragments = p >= fragmentsFrom ? this.fragmentsByFirstByte[data[p]] : undefined
      if (fragments !== undefined) {
        // fewer than FRAGMENT_BYTES bytes: a loop here is cheaper than a call into Buffer.compare
        for (const fragment of fragments) if (startsWithRest(fragment.bytes, data, p)) return p
      }
    }
    return n
  }
}

/** Whether data[p..] (shorter than `bytes`) is a prefix of `bytes`. */
function startsWithRest(bytes: Buffer, data: Buffer, p: number): boolean {
  for (let i = 0; p + i < data.length; i++) if (bytes[i] !== data[p + i]) return false
  return true
}

/** The whole-buffer equivalent of a Redactor, for short outputs and for checking the streaming one. */
export function redactAll(secrets: MaskSecret[], data: Buffer): Buffer {
  const redactor = new Redactor(secrets)
  return Buffer.concat([redactor.push(data), redactor.flush()])
}

/**
 * A Transform stream wrapping Redactor. The Redactor (its forms and search table) is built on the
 * first chunk: a run's stderr is often silent, and every masked run's startup would pay for it.
 */
export function createRedactStream(secrets: MaskSecret[]): Transform {
  let redactor: Redactor | undefined
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      redactor ??= new Redactor(secrets)
      const out = redactor.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
      callback(null, out.length > 0 ? out : undefined)
    },
    flush(callback) {
      const out = redactor?.flush() ?? Buffer.alloc(0)
      callback(null, out.length > 0 ? out : undefined)
    },
  })
}
