/**
 * Hard-coded secrets: every catalog key format, behind one combined keyword prefilter per file,
 * plus an exact-bytes search for the vault's own stored values (zero false positives).
 * A leak never carries the value: only a short, masked preview.
 */
import {maskPreview, shownPrefixLength} from '../cli/key-like.js'
import type {KeywordHit} from './keyword-scanner.js'
import {type LineIndex, lineOfByte} from './lines.js'
import type {LeakRule, Signatures} from './signatures.js'

export interface Leak {
  /** posix path relative to the scan root */
  file: string
  line: number
  /** the key format id, or 'vault-secret' for an exact match of a stored value */
  rule: string
  /** provider id (for 'vault-secret': the label given with the stored value) */
  provider: string | null
  /** at most 8 leading characters, never more than a third of the value, then '…(length)' */
  preview: string
}

export interface KnownValue {
  value: Buffer | string
  /** what the value is, e.g. the provider id; reported as the leak's provider */
  label: string
}

/** Shorter stored values would match by coincidence; exact search needs a minimum length. */
export const MIN_KNOWN_VALUE_BYTES = 8

/** How far around a keyword hit a rule's regex looks. */
const WINDOW_BEFORE = 512
const WINDOW_AFTER = 1024

/** Published sample keys (AWS docs, firebase-android-sdk examples as allowlisted by gitleaks). */
const DOCUMENTED_SAMPLES: ReadonlySet<string> = new Set([
  'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'AIzaSyabcdefghijklmnopqrstuvwxyz1234567', 'AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs',
  'AIzaSyCkEhVjf3pduRDt6d1yKOMitrUEke8agEM', 'AIzaSyDMAScliyLx7F0NPDEJi1QmyCgHIAODrlU',
  'AIzaSyD3asb-2pEZVqMkmL6M9N6nHZRR_znhrh0', 'AIzayDNSXIbFmlXbIE6mCzDLQAqITYefhixbX4A',
  'AIzaSyAdOS2zB6NCsk1pCdZ4-P6GBdi_UUPwX7c', 'AIzaSyASWm6HmTMdYWpgMnjRBjxcQ9CKctWmLd4',
  'AIzaSyANUvH9H9BsUccjsu2pCmEkOPjjaXeDQgY', 'AIzaSyA5_iVawFQ8ABuTZNUdcwERLJv_a_p4wtM',
  'AIzaSyA4UrcGxgwQFTfaI3no3t7Lt1sjmdnP5sQ', 'AIzaSyDSb51JiIcB6OJpwwMicseKRhhrOq1cS7g',
  'AIzaSyBF2RrAIm4a0mO64EShQfqfd2AFnzAvvuU', 'AIzaSyBcE-OOIbhjyR83gm4r2MFCu4MJmprNXsw',
  'AIzaSyB8qGxt4ec15vitgn44duC5ucxaOi4FmqE', 'AIzaSyA8vmApnrHNFE0bApF4hoZ11srVL_n0nvY',
])

const PLACEHOLDER_WORDS = [
  '...', '…', 'xxxx', 'example', 'sample', 'placeholder', 'dummy', 'your', 'changeme', 'change-me', 'change_me',
  'replace', 'fake', 'redacted', 'insert', 'todo', '${', '{{', '<', '>', '%', '0123456', '1234567', 'abcdefg',
]

/** The one preview rule (key-like.ts), re-exported for the scanner and its tests. */
export {maskPreview} from '../cli/key-like.js'

function shannonEntropy(value: string): number {
  const counts = new Map<string, number>()
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  let entropy = 0
  for (const count of counts.values()) {
    const p = count / value.length
    entropy -= p * Math.log2(p)
  }
  return entropy
}

/**
 * Placeholders and samples: marker words, runs of one character, low entropy, published samples.
 * In `.env.example`-style files the entropy bar is higher, since real values do not belong there
 * and half-filled ones often do.
 */
export function isPlaceholder(value: string, exampleFile = false): boolean {
  if (DOCUMENTED_SAMPLES.has(value)) return true
  const lower = value.toLowerCase()
  if (PLACEHOLDER_WORDS.some((w) => lower.includes(w))) return true
  if (/(.)\1{5,}/.test(value)) return true
  const entropy = shannonEntropy(value)
  const floor = value.length >= 20 ? 3 : 2.5
  return entropy < (exampleFile ? floor + 0.5 : floor)
}

function jwtPayload(value: string): Record<string, unknown> | undefined {
  const parts = value.split('.')
  if (parts.length < 2 || !parts[0].startsWith('ey')) return undefined
  try {
    const json: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
    return json && typeof json === 'object' ? (json as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

const COMMON_PASSWORDS = new Set(['password', 'passwd', 'pass', 'postgres', 'secret', 'admin', 'root', 'test', 'user', 'pw', 'changeme', 'mysecretpassword'])

/**
 * A connection URL is a leak only when it carries a real-looking password: `postgres://localhost/db`
 * and `postgres://user:password@host` are configuration, not secrets.
 */
export function isHarmlessUrl(value: string): boolean {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#@]*)@/i.exec(value)
  if (!m) return true
  const colon = m[1].indexOf(':')
  if (colon === -1) return true
  const password = decodeURIComponentSafe(m[1].slice(colon + 1))
  const lower = password.toLowerCase()
  return password.length < 8 || COMMON_PASSWORDS.has(lower) || PLACEHOLDER_WORDS.some((w) => lower.includes(w)) || /(.)\1{5,}/.test(password)
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** Public by design: flagged formats, publishable keys, Supabase anon JWTs and the local demo JWTs. */
export function isPublicValue(value: string, rule: LeakRule): boolean {
  if (rule.format.public) return true
  if (/^pk_(live|test)_/.test(value)) return true
  const payload = jwtPayload(value)
  return payload !== undefined && (payload.role === 'anon' || payload.iss === 'supabase-demo')
}

interface FileText {
  rel: string
  text: string
  lines: LineIndex
  hits: KeywordHit[]
  exampleFile: boolean
  /** code (JS, Python, Go...): a value assigned to an env name must be a quoted literal (see findAssignedLeaks) */
  code?: boolean
}

/** The rule id of a value found by assignment to a provider's env name rather than by its format. */
export const ASSIGNMENT_RULE = 'env-assignment'

/**
 * After an env name: an optional closing quote and `]` (`os.environ["X"]`, `{"X": ...}`), an
 * optional type annotation (`x: str =`), the operator, then the value, quoted or bare. The value
 * is a single token of key characters, 20 to 512 long, ending where key characters do.
 */
const ASSIGNMENT = /(["'`]?\]?)[ \t]*(?::[ \t]*[A-Za-z_][\w.[\]| ]{0,40}?[ \t]*=(?![=>])|=>|:=|=(?![=>])|:|,)[ \t]*(["'`]?)([A-Za-z0-9+/=_.-]{20,512})\2(?![A-Za-z0-9+/=_.-])/y

/**
 * Values that name something instead of being a key: ENV_NAMES_LIKE_THIS, dotted.identifiers and
 * paths (`/run/secrets/x`, `./keys/y`: a folder in lower case first; a base64 key may start with '/').
 */
const REFERENCE_LIKE = /^(?:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|(?:\.{1,2}|~)?\/[a-z0-9_.-]+\/.*)$/

function isAsciiLetterOrDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

/**
 * Context leaks: a key-like value assigned to an env name whose provider has no key format for it
 * (research/scan-rules.md: Mistral and Cohere keys have no prefix; gitleaks finds Cohere keys the
 * same way). `MISTRAL_API_KEY=...` in a .env file, `CO_API_KEY: ...` in YAML, `"MISTRAL_API_KEY":
 * "..."`, `os.environ["X"] = "..."`, `getenv("X", "...")`, `mistral_api_key: str = "..."`. With no
 * format to vouch for it the value must look random: long (20+), letters and digits, entropy 3.5
 * bits a character or more (placeholders, references and paths are not keys).
 */
function findAssignedLeaks(file: FileText, sig: Signatures, known: PreparedKnownValue[], taken: Set<number>): Leak[] {
  const leaks: Leak[] = []
  const {text} = file
  for (const hit of file.hits) {
    const targets = sig.byKeyword.get(hit.keyword)
    if (!targets || targets.assignments.length === 0) continue
    // the env name as a whole identifier, or the end of one (`MY_MISTRAL_API_KEY`)
    const before = hit.offset > 0 ? text.charCodeAt(hit.offset - 1) : 32
    if (isAsciiLetterOrDigit(before)) continue
    const after = hit.offset + hit.keyword.length
    const next = text.charCodeAt(after)
    if (isAsciiLetterOrDigit(next) || next === 95) continue
    ASSIGNMENT.lastIndex = after
    const m = ASSIGNMENT.exec(text)
    if (!m) continue
    const [, nameQuote, valueQuote, value] = m
    const separator = m[0].slice(nameQuote.length).trimStart().charAt(0)
    // `"X", "value"` is an argument list (getenv's default); a bare `X, value` is not an assignment
    if (separator === ',' && (nameQuote === '' || valueQuote === '')) continue
    if (file.code && valueQuote === '') continue
    const start = m.index + m[0].length - value.length - valueQuote.length
    if (taken.has(start) || isKnownValue(value, known) || REFERENCE_LIKE.test(value)) continue
    if (!/[0-9]/.test(value) || !/[A-Za-z]/.test(value) || shannonEntropy(value) < 3.5 || isPlaceholder(value, file.exampleFile)) continue
    taken.add(start)
    for (const {provider} of targets.assignments) {
      leaks.push({file: file.rel, line: file.lines.lineOf(start), rule: ASSIGNMENT_RULE, provider: provider.id, preview: maskPreview(value)})
    }
  }
  return leaks
}

/** Runs only the rules whose keywords were hit, only in windows around the hits. */
export function findFormatLeaks(file: FileText, sig: Signatures, known: PreparedKnownValue[] = []): Leak[] {
  const windows = new Map<LeakRule, [number, number][]>()
  for (const hit of file.hits) {
    const targets = sig.byKeyword.get(hit.keyword)
    if (!targets) continue
    const start = Math.max(0, hit.offset - WINDOW_BEFORE)
    const end = Math.min(file.text.length, hit.offset + WINDOW_AFTER)
    for (const rule of targets.rules) {
      let list = windows.get(rule)
      if (!list) windows.set(rule, (list = []))
      const last = list.at(-1)
      if (last && start <= last[1]) last[1] = Math.max(last[1], end)
      else list.push([start, end])
    }
  }
  const leaks: Leak[] = []
  const seen = new Set<string>()
  /** where format matches start: such a value is judged by its format, never again by assignment */
  const taken = new Set<number>()
  for (const [rule, list] of windows) {
    for (const [start, end] of list) {
      const slice = file.text.slice(start, end)
      rule.regex.lastIndex = 0
      for (const m of slice.matchAll(rule.regex)) {
        const value = m[0]
        const offset = start + m.index
        const key = `${rule.id}\0${offset}`
        if (seen.has(key)) continue
        seen.add(key)
        taken.add(offset)
        if (isPublicValue(value, rule) || isKnownValue(value, known)) continue
        if (value.includes('://') ? isHarmlessUrl(value) : isPlaceholder(value, file.exampleFile)) continue
        // A shared format (an AIza key may be Maps or Firebase; any JWT looks alike) names no provider.
        const provider = rule.format.shared ? null : rule.provider.id
        leaks.push({file: file.rel, line: file.lines.lineOf(offset), rule: rule.id, provider, preview: maskPreview(value)})
      }
    }
  }
  if (sig.hasAssignments) {
    const assigned = findAssignedLeaks(file, sig, known, taken)
    if (assigned.length > 0) return leaks.length > 0 ? [...leaks, ...assigned] : assigned
  }
  return leaks
}

export interface PreparedKnownValue {
  bytes: Buffer
  label: string
  preview: string
}

/**
 * Normalises stored values once per scan; too-short values are dropped (see MIN_KNOWN_VALUE_BYTES).
 * Buffers are used in place, never copied, so the caller's wipe after the scan leaves no plaintext
 * behind; only the masked prefix is ever turned into a string.
 */
export function prepareKnownValues(values: KnownValue[] = []): PreparedKnownValue[] {
  const out: PreparedKnownValue[] = []
  for (const {value, label} of values) {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
    if (bytes.length < MIN_KNOWN_VALUE_BYTES) continue
    // the longest well-known prefix is 11 characters: 12 bytes tell, and no more become a string
    const shown = shownPrefixLength(bytes.subarray(0, 12).toString('latin1'), bytes.length)
    out.push({bytes, label, preview: `${bytes.subarray(0, shown).toString('latin1')}…(${bytes.length})`})
  }
  return out
}

/** Whether a format match is one of the stored values (then it is reported once, as vault-secret). */
export function isKnownValue(value: string, known: PreparedKnownValue[]): boolean {
  if (known.length === 0) return false
  const bytes = Buffer.from(value, 'latin1')
  return known.some((k) => k.bytes.length === bytes.length && k.bytes.equals(bytes))
}

/** Exact byte occurrences of stored values in one file's bytes. */
export function findKnownValueLeaks(rel: string, content: Buffer, known: PreparedKnownValue[]): Leak[] {
  const leaks: Leak[] = []
  for (const k of known) {
    for (let i = content.indexOf(k.bytes); i !== -1; i = content.indexOf(k.bytes, i + k.bytes.length)) {
      leaks.push({file: rel, line: lineOfByte(content, i), rule: 'vault-secret', provider: k.label, preview: k.preview})
    }
  }
  return leaks
}

export function compareLeaks(a: Leak, b: Leak): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1
  if (a.line !== b.line) return a.line - b.line
  return a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0
}
