/**
 * Evidence regexes run only where they can match. A global regex over a whole file makes V8 try
 * every offset, and its first characters (p, i, o, e, f...) are common: the env-read regex ran at
 * ~200 MB/s, the import one at ~900 MB/s, while most files hold no match at all. Every match of
 * those regexes contains a rarer character at a known place (the v of env, the quote of an import,
 * the / of a model id), and String.prototype.indexOf of one character is a memchr (~8 GB/s); the
 * line-anchored import regexes (/^.../m, tried at every offset too) start at their keyword.
 *
 * So each finder below lists the offsets where a match could start, from those characters, and
 * matchAnchored() runs a sticky copy of the same regex there only. Candidates are tried in ascending
 * order and those inside the previous match are skipped: the result is exactly what
 * text.matchAll(regex) returns (leftmost matches, non-overlapping), provided every offset where
 * the regex matches is a candidate. Each finder says why that holds for its regex; the tests
 * compare them with matchAll on adversarial text. Change a regex, change its finder.
 */

export interface AnchoredRegex {
  /** the global regex: its matchAll is the specification */
  regex: RegExp
  /** its sticky twin, tried at one offset without searching ahead */
  at: RegExp
  /** offsets where a match could start, every match start included: ascending if possible (else sorted here), repeats allowed */
  starts: (text: string) => number[]
}

function anchored(regex: RegExp, starts: (text: string) => number[]): AnchoredRegex {
  return {regex, at: new RegExp(regex.source, regex.flags.replace('g', '') + 'y'), starts}
}

/** Exactly text.matchAll(anchored.regex), as an array. */
export function matchAnchored({at: regex, starts: find}: AnchoredRegex, text: string): RegExpExecArray[] {
  const matches: RegExpExecArray[] = []
  const starts = find(text)
  if (starts.length === 0) return matches
  for (let i = 1; i < starts.length; i++) {
    if (starts[i] < starts[i - 1]) {
      starts.sort((a, b) => a - b)
      break
    }
  }
  let end = 0
  let previous = -1
  for (const start of starts) {
    if (start < end || start === previous) continue
    previous = start
    regex.lastIndex = start
    const m = regex.exec(text)
    if (!m) continue
    matches.push(m)
    // matchAll steps over an empty match; none of the evidence regexes can match empty anyway.
    end = start + Math.max(1, m[0].length)
  }
  return matches
}

/**
 * Offsets of any of a few needles in a text, ascending: one indexOf cursor per needle, merged.
 * A class, not a callback: the finders' loops stay monomorphic and inlined, and this runs once
 * per v, quote or slash of every code file.
 */
class Needles {
  private readonly next: number[]
  /** which needle the last offset returned was */
  needle = 0

  constructor(private readonly text: string, private readonly needles: readonly string[]) {
    this.next = needles.map((n) => text.indexOf(n))
  }

  /** The next offset, or -1. */
  take(): number {
    const {next} = this
    let k = -1
    for (let i = 0; i < next.length; i++) if (next[i] !== -1 && (k === -1 || next[i] < next[k])) k = i
    if (k === -1) return -1
    const at = next[k]
    next[k] = this.text.indexOf(this.needles[k], at + 1)
    this.needle = k
    return at
  }
}

function isFold(c: number, lower: number): boolean {
  return (c | 0x20) === lower
}

/**
 * CODE_ENV (below). Each alternative spells env, Env or ENV at a fixed distance from its start,
 * behind a fixed first character: import.meta.env 12 'i', os.LookupEnv 9 'o', process.env 8 'p',
 * os.getenv and os.Getenv 6 'o', Deno.env.get 5 'D', os.environ(.get) 3 'o', getenv 3 'g', $_ENV
 * 2 '$', env::var, env, ENV and ENV.fetch 0 'e'/'E'. The one without an env, $_SERVER, has a V at
 * 5. So: every e-n-v (any case) and every $_SERVER, found from their v or V.
 */
const ENV_BACK: readonly (readonly [back: number, first: number, orFirst: number])[] = [
  [12, 105, 105], [9, 111, 111], [8, 112, 112], [6, 111, 111], [5, 68, 68], [3, 111, 103], [2, 36, 36], [0, 101, 69],
]

const V_CASES: readonly string[] = ['v', 'V']

function envStarts(text: string): number[] {
  const starts: number[] = []
  const vs = new Needles(text, V_CASES)
  for (let v = vs.take(); v !== -1; v = vs.take()) {
    if (vs.needle === 1 && v >= 5 && text.startsWith('$_SERVER', v - 5)) starts.push(v - 5)
    const e = v - 2
    if (e < 0 || !isFold(text.charCodeAt(e + 1), 110) || !isFold(text.charCodeAt(e), 101)) continue
    for (const [back, first, orFirst] of ENV_BACK) {
      const start = e - back
      if (start < 0) continue
      const c = text.charCodeAt(start)
      if (c === first || c === orFirst) starts.push(start)
    }
  }
  return starts
}

/** What \s matches in a JS regex. */
function isJsSpace(c: number): boolean {
  return (c >= 9 && c <= 13) || c === 32 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
}

/**
 * JS_IMPORT (below): from|import|require, blanks, an optional '(', blanks, a quote.
 * Walking back from a quote over blanks and at most one '(' finds the only place where the word
 * can end for that quote (a word ends with a letter, never a blank or a '('), hence one start.
 */
const IMPORT_WORDS: readonly string[] = ['from', 'import', 'require']
const QUOTES: readonly string[] = ["'", '"']

function jsImportStarts(text: string): number[] {
  const starts: number[] = []
  const quotes = new Needles(text, QUOTES)
  for (let q = quotes.take(); q !== -1; q = quotes.take()) {
    let j = q - 1
    while (j >= 0 && isJsSpace(text.charCodeAt(j))) j--
    if (j >= 0 && text.charCodeAt(j) === 40) {
      j--
      while (j >= 0 && isJsSpace(text.charCodeAt(j))) j--
    }
    for (const word of IMPORT_WORDS) {
      const start = j - word.length + 1
      if (start >= 0 && text.charCodeAt(j) === word.charCodeAt(word.length - 1) && text.startsWith(word, start)) starts.push(start)
    }
  }
  return starts
}

function isModelVendorChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45
}

/**
 * MODEL_ID (below): a quote, 2 to 31 of [a-z0-9-], then the first '/'. Walking back
 * from each '/' over that class finds the only possible quote.
 */
function modelIdStarts(text: string): number[] {
  const starts: number[] = []
  for (let slash = text.indexOf('/'); slash !== -1; slash = text.indexOf('/', slash + 1)) {
    let q = slash - 1
    while (q >= 0 && slash - q <= 32 && isModelVendorChar(text.charCodeAt(q))) q--
    const run = slash - 1 - q
    if (q < 0 || run < 2 || run > 31) continue
    const c = text.charCodeAt(q)
    if (c === 34 || c === 39 || c === 96) starts.push(q)
  }
  return starts
}

/**
 * Env reads in code, across languages; the three groups are the three syntaxes. A match with none
 * of them is JS's env object read whole (`process.env` or `import.meta.env` followed by no `.`, `[`
 * or `?`), where a destructuring pattern may name the variables (evidence.ts). The fourth
 * alternative needs no finder of its own: it starts where the first does.
 */
export const CODE_ENV = anchored(
  /(?:process\.env|import\.meta\.env)\.([A-Za-z_][A-Za-z0-9_]*)|(?:process\.env|os\.environ|\bENV|\$_ENV|\$_SERVER)\s*\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\]|(?:Deno\.env\.get|os\.environ\.get|os\.getenv|os\.Getenv|os\.LookupEnv|env::var(?:_os)?|ENV\.fetch|\bgetenv|\benv)\s*\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]|(?:process\.env|import\.meta\.env)(?![\w$]|\s*[.[?])/g,
  envStarts,
)
export const JS_IMPORT = anchored(/(?<![\w$.])(?:from|import|require)\s*\(?\s*['"]([^'"\n]{1,200})['"]/g, jsImportStarts)
export const MODEL_ID = anchored(/["'`]([a-z][a-z0-9-]{1,30})\/([A-Za-z0-9][\w.:-]{0,80})["'`]/g, modelIdStarts)

/** Where ^ can match in a multiline regex: after these, or at 0. */
function isLineTerminator(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029
}

/**
 * For the /^[ \t]*word.../gm import regexes: a match is a line start, blanks, then one of `words`
 * (each alternative begins with one). Walking back over blanks from each occurrence of a word to
 * a line start finds the start.
 */
function lineStartsBefore(words: readonly string[]): (text: string) => number[] {
  return (text) => {
    const starts: number[] = []
    const found = new Needles(text, words)
    for (let at = found.take(); at !== -1; at = found.take()) {
      let start = at
      for (let c = text.charCodeAt(start - 1); c === 32 || c === 9; c = text.charCodeAt(--start - 1));
      if (start === 0 || isLineTerminator(text.charCodeAt(start - 1))) starts.push(start)
    }
    return starts
  }
}

/** `from m import a, b`, `from m import (a,\n b)` (the parenthesised list may span lines), `import m, n`. */
export const PY_IMPORT = anchored(
  /^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import(?:[ \t]*(\([^)]{0,4000}\)?)|[ \t]+([\w., \t]+))|import[ \t]+([\w., \t]+))/gm,
  lineStartsBefore(['from', 'import']),
)
export const GO_IMPORT = anchored(/^[ \t]*import[ \t]*(?:\(([^)]*)\)|(?:[\w.]+[ \t]+)?"([^"\n]+)")/gm, lineStartsBefore(['import']))
export const RB_REQUIRE = anchored(/^[ \t]*require[ \t(]+['"]([^'"\n]+)['"]/gm, lineStartsBefore(['require']))
export const PHP_USE = anchored(/^[ \t]*use[ \t]+\\?([A-Za-z_][\w\\]*)/gm, lineStartsBefore(['use']))
export const RS_USE = anchored(/^[ \t]*(?:pub[ \t]+)?(?:use|extern[ \t]+crate)[ \t]+([A-Za-z_]\w*)/gm, lineStartsBefore(['pub', 'use', 'extern']))
