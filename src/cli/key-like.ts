/**
 * The last line of defence for invariant 1 on the error path: a message can quote what the user
 * typed (an unknown provider, a flag oclif does not know, an invalid env name), and the likeliest
 * thing to be typed by mistake is a pasted key. Every error and warning passes through
 * hideKeyLike() before it is printed or put into JSON, so a key-shaped word shows only as a short
 * preview and its length.
 *
 * Deliberately free of the provider catalog: the lean `run` path renders its errors with this too,
 * and loading the catalog there would cost every run's startup.
 */

/**
 * Runs of characters a key can be made of; '/' and '=' end a run so paths and flag=value split.
 * At least 23 characters: codex-vault's own ids (sessions, vaults: 22 base64url characters) can
 * start like a key by chance and must stay readable in the audit log; an AWS access key id (20,
 * not a secret) is left too.
 */
const WORD = /[A-Za-z0-9_.+~-]{23,}/g
/** Well-known key prefixes (and codex-vault's own CI key and session token): shorter keys count. */
const KEY_PREFIX = /^(?:cvk1_|cvs1\.|sk-|sk_|rk_|pk_live_|whsec_|gsk_|hf_|api_org_|gh[opsru]_|github_pat_|xai-|pplx-|r8_|nvapi-|fw_|tvly-|pcsk_|lsv2_|sb_secret_|sbp_|AIza|AKIA|ASIA|A3T|ABSK|eyJ|xox[abpr]-|glpat-|sq0|SG\.|AC[0-9a-f]{8})/
/** How a hidden word is shown: a known prefix keeps its first characters, anything else only its length. */
const PREVIEW_PREFIX = 8

function hasDigitAndLetter(word: string): boolean {
  return /[0-9]/.test(word) && /[A-Za-z]/.test(word)
}

function charClass(code: number): number {
  if (code >= 0x61 && code <= 0x7a) return 0
  if (code >= 0x41 && code <= 0x5a) return 1
  if (code >= 0x30 && code <= 0x39) return 2
  return 3
}

/**
 * Looks random enough to be a credential: long, mixed case and digits, many distinct characters,
 * and the kind of character changing often (about 60% of neighbours in random base62, far fewer in
 * a CamelCase name such as MyProject2024SuperLongFolderName).
 */
function looksRandom(word: string): boolean {
  if (word.length < 32 || !/[a-z]/.test(word) || !/[A-Z]/.test(word) || !/[0-9]/.test(word)) return false
  if (new Set(word).size < 16) return false
  let changes = 0
  for (let i = 1; i < word.length; i++) if (charClass(word.charCodeAt(i)) !== charClass(word.charCodeAt(i - 1))) changes++
  return changes >= 0.4 * (word.length - 1)
}

/** True when the value starts like a well-known kind of key (`sk-`, `AIza`, `xai-`, ...). */
export function hasKnownKeyPrefix(value: string): boolean {
  return KEY_PREFIX.test(value)
}

/** True when a single word (no spaces) would be hidden by hideKeyLike. */
export function isKeyLike(word: string): boolean {
  if (word.length < 23) return false
  if (KEY_PREFIX.test(word)) return hasDigitAndLetter(word)
  return looksRandom(word)
}

/**
 * How many leading characters of a value of `length` a preview may show, given its first
 * characters (`head`, 12 are enough): for a well-known kind of key at most 8 and never more than a
 * third, which identifies it; for anything else none, since its first characters are key material.
 */
export function shownPrefixLength(head: string, length: number): number {
  return KEY_PREFIX.test(head) ? Math.min(PREVIEW_PREFIX, Math.floor(length / 3)) : 0
}

/** A preview that identifies a key without revealing it, e.g. `sk-ant-a…(108)`, or `…(40)`. */
export function maskPreview(value: string): string {
  const chars = Array.from(value) // code points, so a preview never splits a surrogate pair
  return `${chars.slice(0, shownPrefixLength(value, chars.length)).join('')}…(${chars.length})`
}

function preview(word: string): string {
  if (word.startsWith('cvk1_') || word.startsWith('cvs1.')) return `${word.slice(0, 5)}…(${word.length})`
  if (KEY_PREFIX.test(word)) return maskPreview(word)
  return `…(${word.length} characters, hidden: it looks like a key)`
}

/** The text with every key-shaped word replaced by a preview. */
export function hideKeyLike(text: string): string {
  return text.replace(WORD, (word) => (isKeyLike(word) ? preview(word) : word))
}

/** hideKeyLike applied to every string inside a JSON-like value (error details). */
export function hideKeyLikeDeep<T>(value: T): T {
  if (typeof value === 'string') return hideKeyLike(value) as T
  if (Array.isArray(value)) return value.map((item) => hideKeyLikeDeep(item)) as T
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, hideKeyLikeDeep(item)])) as T
  }
  return value
}
