/**
 * A .env parser that remembers where every entry lives, so `secret import --scrub` can remove
 * exactly the imported entries and keep every other byte of the file (comments, order, spacing,
 * line endings). Supported: `export KEY=…`, `KEY = value`, full-line and inline comments, single
 * quotes (literal), double quotes (\n \r \t \" \\ escapes), backticks (literal), multi-line quoted
 * values, empty values, CRLF. Malformed lines become errors with line numbers; parsing goes on.
 */

export interface DotenvEntry {
  key: string
  value: string
  /** 1-based line where the entry starts */
  line: number
  /** 1-based line where it ends (differs from `line` for multi-line quoted values) */
  endLine: number
  /** offset of the first character of the entry's first line */
  start: number
  /** offset just past the entry's last line terminator (or the end of the text) */
  end: number
  quote?: '"' | "'" | '`'
}

export interface DotenvError {
  line: number
  /** never quotes the line itself: it may hold a secret */
  message: string
}

export interface DotenvParse {
  entries: DotenvEntry[]
  errors: DotenvError[]
}

// Keys as dotenv, docker and shells accept them (dots and dashes included, as dotenv does).
const HEADER = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=/
const KEY_ONLY = /^[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_.-]*[ \t]*$/
const QUOTES = new Set(['"', "'", '`'])
const ESCAPES: Record<string, string> = {n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\'}

/** Offsets of the line that contains `index`: [lineEnd (before \r?\n), next line start]. */
function lineBounds(text: string, index: number): [number, number] {
  const newline = text.indexOf('\n', index)
  if (newline === -1) return [text.length, text.length]
  return [newline > 0 && text[newline - 1] === '\r' ? newline - 1 : newline, newline + 1]
}

function countLines(text: string, from: number, to: number): number {
  let count = 0
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) count++
  return count
}

function closingQuote(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    const ch = text[i]
    if (quote === '"' && ch === '\\') i++
    else if (ch === quote) return i
  }
  return -1
}

function unescapeDouble(raw: string): string {
  // Unknown escapes stay as written (\$ -> \$), like dotenv-expand leaves them for later stages.
  return raw.replace(/\\([\s\S])/g, (whole, ch: string) => ESCAPES[ch] ?? whole)
}

export function parseDotenvFile(text: string): DotenvParse {
  const entries: DotenvEntry[] = []
  const errors: DotenvError[] = []
  let pos = text.startsWith('\uFEFF') ? 1 : 0
  let line = 1
  while (pos < text.length) {
    const [lineEnd, next] = lineBounds(text, pos)
    const content = text.slice(pos, lineEnd)
    const trimmed = content.trim()
    if (trimmed === '' || trimmed.startsWith('#')) {
      pos = next
      line++
      continue
    }
    const header = HEADER.exec(content)
    if (!header) {
      errors.push({line, message: KEY_ONLY.test(content) ? 'missing "=" after the name' : 'not a KEY=value line'})
      pos = next
      line++
      continue
    }
    const key = header[1]
    const afterEq = pos + header[0].length
    let valueStart = afterEq
    while (text[valueStart] === ' ' || text[valueStart] === '\t') valueStart++
    const first = valueStart < lineEnd ? text[valueStart] : ''

    if (QUOTES.has(first)) {
      const quote = first as '"' | "'" | '`'
      const close = closingQuote(text, valueStart + 1, quote)
      if (close === -1) {
        errors.push({line, message: `unclosed ${quote} quote in the value of ${key}`})
        pos = next
        line++
        continue
      }
      const [closeLineEnd, closeNext] = lineBounds(text, close)
      const trailing = text.slice(close + 1, closeLineEnd).trim()
      const endLine = line + countLines(text, pos, close)
      if (trailing !== '' && !trailing.startsWith('#')) {
        // Across lines, the "closing" quote most likely opens a later value: report this line
        // only and resume on the next one, so later entries still parse.
        const multiLine = endLine > line
        errors.push({line, message: multiLine ? `unclosed ${quote} quote in the value of ${key}` : `unexpected text after the closing quote of ${key}`})
        pos = multiLine ? next : closeNext
        line = multiLine ? line + 1 : endLine + 1
        continue
      }
      const raw = text.slice(valueStart + 1, close).replace(/\r\n/g, '\n')
      entries.push({key, value: quote === '"' ? unescapeDouble(raw) : raw, line, endLine, start: pos, end: closeNext, quote})
      pos = closeNext
      line = endLine + 1
      continue
    }

    // Unquoted: an inline comment starts at a `#` preceded by whitespace (so `a#b` keeps its `#`).
    let raw = text.slice(afterEq, lineEnd)
    const comment = /[ \t]#/.exec(raw)
    if (comment) raw = raw.slice(0, comment.index)
    entries.push({key, value: raw.trim(), line, endLine: line, start: pos, end: next})
    pos = next
    line++
  }
  return {entries, errors}
}

/** The entries only; use parseDotenvFile() to also get malformed lines. */
export function parseDotenv(text: string): DotenvEntry[] {
  return parseDotenvFile(text).entries
}

export interface ScrubOptions {
  /** leave `# KEY moved to codex-vault` where each removed entry was (default true) */
  marker?: boolean
}

/**
 * Remove every entry whose key is in `keysToRemove` (all occurrences, whole multi-line spans) and
 * keep every other byte as it was. Malformed lines are never touched.
 */
export function scrubDotenv(text: string, keysToRemove: ReadonlySet<string>, {marker = true}: ScrubOptions = {}): string {
  let out = ''
  let cursor = 0
  for (const entry of parseDotenvFile(text).entries) {
    if (!keysToRemove.has(entry.key)) continue
    out += text.slice(cursor, entry.start)
    if (marker) {
      const span = text.slice(entry.start, entry.end)
      const terminator = span.endsWith('\r\n') ? '\r\n' : span.endsWith('\n') ? '\n' : ''
      out += `# ${entry.key} moved to codex-vault${terminator}`
    }
    cursor = entry.end
  }
  return out + text.slice(cursor)
}
