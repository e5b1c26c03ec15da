import {Transform} from 'node:stream'

export interface MaskSecret {
  env: string
  value: string
}

interface Form {
  bytes: Buffer
  replacement: Buffer
}

/** Below this many characters a base64 fragment of a mis-aligned secret is too likely to occur by chance. */
const MIN_SHIFTED_BASE64 = 16

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

/** Every textual form a secret can take in program output, longest first so overlapping secrets mask completely. */
export function secretForms(secrets: MaskSecret[]): Form[] {
  const seen = new Map<string, Form>()
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
  }
  return [...seen.values()].sort((a, b) => b.bytes.length - a.bytes.length)
}

/**
 * Streaming redactor whose output equals a leftmost-longest replacement over the whole stream, for any chunking.
 * It holds back only the shortest tail that could still become (part of) a match and emits everything else at once.
 */
export class Redactor {
  private readonly forms: Form[]
  /** forms indexed by their first byte: the tail check only looks at bytes that can start a form */
  private readonly byFirstByte: (Form[] | undefined)[] = Array.from({length: 256})
  private readonly maxLen: number
  private held: Buffer = Buffer.alloc(0)

  constructor(secrets: MaskSecret[]) {
    this.forms = secretForms(secrets)
    this.maxLen = this.forms.length > 0 ? this.forms[0].bytes.length : 0
    for (const form of this.forms) {
      const first = form.bytes[0]
      ;(this.byFirstByte[first] ??= []).push(form)
    }
  }

  /** Bytes currently held back because they could still complete a match. */
  get pending(): number {
    return this.held.length
  }

  push(chunk: Buffer): Buffer {
    if (this.forms.length === 0) return chunk
    const data = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk
    return this.process(data, false)
  }

  flush(): Buffer {
    const data = this.held
    this.held = Buffer.alloc(0)
    if (data.length === 0 || this.forms.length === 0) return data
    return this.process(data, true)
  }

  private process(data: Buffer, final: boolean): Buffer {
    const n = data.length
    const forms = this.forms
    let holdFrom = final ? n : this.tailStart(data, 0)
    const next = new Array<number>(forms.length)
    for (let i = 0; i < forms.length; i++) next[i] = data.indexOf(forms[i].bytes, 0)

    let parts: Buffer[] | null = null
    let pos = 0
    for (;;) {
      // leftmost match; forms are sorted longest first, so the first at that position is the longest
      let best = -1
      let at = n
      for (let i = 0; i < forms.length; i++) {
        const p = next[i]
        if (p !== -1 && p < at) {
          at = p
          best = i
        }
      }
      // a match starting in the held tail waits: a longer form, or an earlier one, may still complete there
      if (best === -1 || at >= holdFrom) break
      const form = forms[best]
      parts ??= []
      if (at > pos) parts.push(data.subarray(pos, at))
      parts.push(form.replacement)
      pos = at + form.bytes.length
      for (let i = 0; i < forms.length; i++) {
        if (next[i] !== -1 && next[i] < pos) next[i] = data.indexOf(forms[i].bytes, pos)
      }
      if (pos > holdFrom) holdFrom = final ? n : this.tailStart(data, pos)
    }

    this.held = holdFrom < n ? Buffer.from(data.subarray(holdFrom)) : Buffer.alloc(0)
    if (parts === null) return holdFrom === n ? data : data.subarray(0, holdFrom)
    if (holdFrom > pos) parts.push(data.subarray(pos, holdFrom))
    return Buffer.concat(parts)
  }

  /** Smallest p >= from such that data[p..] is a proper prefix of some form (or data.length when none). */
  private tailStart(data: Buffer, from: number): number {
    const n = data.length
    for (let p = Math.max(from, n - this.maxLen + 1); p < n; p++) {
      const candidates = this.byFirstByte[data[p]]
      if (candidates === undefined) continue
      const rest = n - p
      for (const form of candidates) {
        if (form.bytes.length > rest && data.compare(form.bytes, 0, rest, p, n) === 0) return p
      }
    }
    return n
  }
}

/** The whole-buffer equivalent of a Redactor, for short outputs and for checking the streaming one. */
export function redactAll(secrets: MaskSecret[], data: Buffer): Buffer {
  const redactor = new Redactor(secrets)
  return Buffer.concat([redactor.push(data), redactor.flush()])
}

/** A Transform stream wrapping Redactor. */
export function createRedactStream(secrets: MaskSecret[]): Transform {
  const redactor = new Redactor(secrets)
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const out = redactor.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
      callback(null, out.length > 0 ? out : undefined)
    },
    flush(callback) {
      const out = redactor.flush()
      callback(null, out.length > 0 ? out : undefined)
    },
  })
}
