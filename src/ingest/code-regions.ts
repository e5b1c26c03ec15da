/**
 * Where a JS/TS or Python file's code is: a small lexer that finds string literals and comments
 * (and JS regex literals), so that `new Stripe(key)` in an error message or `from anthropic import
 * Anthropic` in a docstring is not taken for code. It is lexed lazily, only as far as the last
 * offset asked about, and only in files that have an import or a constructor to check.
 *
 * Not a parser. What it gets wrong stays local: a single- or double-quoted string (and a JS regex
 * literal) never runs past the end of its line, so a stray apostrophe in JSX or HTML text, or a
 * division taken for a regex, mislabels the rest of that line at most. The constructs that span
 * lines are ones no code line can start by accident: block comments, template literals (with
 * their `${...}` parts as code, nested to any depth) and Python's triple-quoted strings. Where a
 * `/` might start a regex or be a division, a regex is assumed unless an operand precedes it,
 * since a regex read as code could open a block comment (`/\/*$/`) and mislabel many lines.
 *
 * Python f-strings are left as code: their `{...}` parts are code, and no docstring is one.
 */

export type CodeLanguage = 'js' | 'py'

/** Words after which a `/` starts a regex (an expression follows them), not a division. */
const REGEX_AFTER_WORDS: ReadonlySet<string> = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await',
])

function isIdentChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c > 127
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12
}

function lineEnd(text: string, from: number): number {
  const end = text.indexOf('\n', from)
  return end === -1 ? text.length : end
}

/** The end (exclusive) of a quoted string opened at `open`: after its closing quote, or at the end of its line. */
function quotedEnd(text: string, open: number, quote: number): number {
  const n = text.length
  for (let j = open + 1; j < n; j++) {
    const c = text.charCodeAt(j)
    if (c === quote) return j + 1
    if (c === 92) j++ // backslash: the next character (a quote, or a newline that continues the line) is content
    else if (c === 10) return j
  }
  return n
}

/** The end of a Python triple-quoted string opened at `open` (three `quote`s). */
function tripleEnd(text: string, open: number, quote: number): number {
  const n = text.length
  for (let j = open + 3; j < n; j++) {
    const c = text.charCodeAt(j)
    if (c === 92) j++
    else if (c === quote && text.charCodeAt(j + 1) === quote && text.charCodeAt(j + 2) === quote) return j + 3
  }
  return n
}

/** The end of a JS regex literal opened at `open`: after its flags, or at the end of its line. */
function regexEnd(text: string, open: number): number {
  const n = text.length
  let inClass = false
  for (let j = open + 1; j < n; j++) {
    const c = text.charCodeAt(j)
    if (c === 92) j++
    else if (c === 10) return j
    else if (c === 91) inClass = true
    else if (c === 93) inClass = false
    else if (c === 47 && !inClass) {
      j++
      while (j < n && isIdentChar(text.charCodeAt(j))) j++
      return j
    }
  }
  return n
}

/** Whether a `/` at `at` (not `//` or `/*`) starts a regex literal rather than a division. */
function startsRegex(text: string, at: number): boolean {
  let j = at - 1
  while (j >= 0 && isBlank(text.charCodeAt(j))) j--
  if (j < 0) return true
  const c = text.charCodeAt(j)
  if (c === 41 || c === 93) return false // ) ]
  if (!isIdentChar(c)) return true // an operator or punctuation, '}' included
  let start = j
  while (start > 0 && isIdentChar(text.charCodeAt(start - 1))) start--
  return REGEX_AFTER_WORDS.has(text.slice(start, j + 1))
}

/** Whether a Python quote at `at` opens an f-string: a prefix of letters (rb, f, Rf...) holding an f. */
function isFString(text: string, at: number): boolean {
  let f = false
  let j = at - 1
  for (; j >= 0 && at - j <= 2; j--) {
    const c = text.charCodeAt(j) | 32
    if (c === 102) f = true
    else if (c !== 114 && c !== 98 && c !== 117) break
  }
  return f && (j < 0 || !isIdentChar(text.charCodeAt(j)))
}

export class CodeRegions {
  /** Where lexing stopped: everything before it is accounted for. */
  private pos = 0
  /** Non-code regions [starts[i], ends[i]), ascending and disjoint. */
  private readonly starts: number[] = []
  private readonly ends: number[] = []
  /** JS: one brace depth per open `${` of a template literal, innermost last. */
  private readonly templates: number[] = []

  constructor(private readonly text: string, private readonly language: CodeLanguage) {}

  /** Whether `offset` is in code: not inside a string literal, a comment or a regex literal. */
  isCode(offset: number): boolean {
    if (offset >= this.pos) {
      if (this.language === 'js') this.lexJs(offset)
      else this.lexPy(offset)
    }
    const {starts, ends} = this
    let lo = 0
    let hi = starts.length - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (starts[mid] <= offset) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return found === -1 || offset >= ends[found]
  }

  private region(start: number, end: number): number {
    this.starts.push(start)
    this.ends.push(end)
    return end
  }

  /** A template literal's text from `from` (its '`', or the '}' closing a `${`) to its end or its next `${`. */
  private templateText(from: number): number {
    const {text} = this
    const n = text.length
    for (let j = from + 1; j < n; j++) {
      const c = text.charCodeAt(j)
      if (c === 92) j++
      else if (c === 96) return this.region(from, j + 1)
      else if (c === 36 && text.charCodeAt(j + 1) === 123) {
        this.region(from, j)
        this.templates.push(0)
        return j + 2
      }
    }
    return this.region(from, n)
  }

  private lexJs(limit: number): void {
    const {text, templates} = this
    const n = text.length
    let i = this.pos
    // A shebang line is neither code nor a comment in the grammar; it holds no import either.
    if (i === 0 && text.startsWith('#!')) i = this.region(0, lineEnd(text, 0))
    while (i <= limit && i < n) {
      const c = text.charCodeAt(i)
      if (c === 47) {
        const next = text.charCodeAt(i + 1)
        if (next === 47) i = this.region(i, lineEnd(text, i))
        else if (next === 42) {
          const close = text.indexOf('*/', i + 2)
          i = this.region(i, close === -1 ? n : close + 2)
        } else if (startsRegex(text, i)) i = this.region(i, regexEnd(text, i))
        else i++
      } else if (c === 39 || c === 34) i = this.region(i, quotedEnd(text, i, c))
      else if (c === 96) i = this.templateText(i)
      else if (c === 123) {
        if (templates.length > 0) templates[templates.length - 1]++
        i++
      } else if (c === 125 && templates.length > 0) {
        if (templates[templates.length - 1] === 0) {
          templates.pop()
          i = this.templateText(i)
        } else {
          templates[templates.length - 1]--
          i++
        }
      } else i++
    }
    this.pos = i
  }

  private lexPy(limit: number): void {
    const {text} = this
    const n = text.length
    let i = this.pos
    while (i <= limit && i < n) {
      const c = text.charCodeAt(i)
      if (c === 35) i = this.region(i, lineEnd(text, i))
      else if (c === 39 || c === 34) {
        const triple = text.charCodeAt(i + 1) === c && text.charCodeAt(i + 2) === c
        const end = triple ? tripleEnd(text, i, c) : quotedEnd(text, i, c)
        i = isFString(text, i) ? end : this.region(i, end)
      } else i++
    }
    this.pos = i
  }
}
