/**
 * Offset -> line lookups for one file's text, built lazily: most files have no hit at all, and the
 * newline table is the only per-file cost that grows with the number of lines.
 */

/** Lines longer than this are treated as minified/generated: scanned for leaks, not for evidence. */
export const LONG_LINE = 5000

export class LineIndex {
  private starts: number[] | undefined
  /** the last lookup: a match is usually looked up 2-3 times in a row (code line? which line?) */
  private lastOffset = -1
  private lastIndex = 0

  constructor(private readonly text: string) {}

  private table(): number[] {
    if (this.starts) return this.starts
    const starts = [0]
    const {text} = this
    let i = text.indexOf('\n')
    while (i !== -1) {
      starts.push(i + 1)
      i = text.indexOf('\n', i + 1)
    }
    this.starts = starts
    return starts
  }

  /** 0-based line number of a character offset. */
  private lineIndex(offset: number): number {
    if (offset === this.lastOffset) return this.lastIndex
    const starts = this.table()
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid] <= offset) lo = mid
      else hi = mid - 1
    }
    this.lastOffset = offset
    this.lastIndex = lo
    return lo
  }

  /** 1-based line number of a character offset. */
  lineOf(offset: number): number {
    return this.lineIndex(offset) + 1
  }

  /** The text of the line holding `offset`, without its newline. */
  lineText(offset: number): string {
    const starts = this.table()
    const index = this.lineIndex(offset)
    const end = index + 1 < starts.length ? starts[index + 1] - 1 : this.text.length
    return this.text.slice(starts[index], end)
  }

  /** Whether the line holding `offset`, leading whitespace aside, starts with one of `prefixes`. */
  lineStartsWith(offset: number, prefixes: readonly string[]): boolean {
    const starts = this.table()
    const index = this.lineIndex(offset)
    const end = index + 1 < starts.length ? starts[index + 1] - 1 : this.text.length
    const {text} = this
    let i = starts[index]
    // The whitespace String.prototype.trimStart removes, as far as latin1 text can hold it.
    for (let c = text.charCodeAt(i); i < end && ((c >= 9 && c <= 13) || c === 32 || c === 0xa0); c = text.charCodeAt(++i));
    for (const prefix of prefixes) if (i + prefix.length <= end && text.startsWith(prefix, i)) return true
    return false
  }

  lineLength(offset: number): number {
    const starts = this.table()
    const index = this.lineIndex(offset)
    const end = index + 1 < starts.length ? starts[index + 1] - 1 : this.text.length
    return end - starts[index]
  }
}

/** Counts the newlines before a byte offset of a buffer (for exact-value hits found in bytes). */
export function lineOfByte(buffer: Buffer, offset: number): number {
  let line = 1
  let i = buffer.indexOf(10)
  while (i !== -1 && i < offset) {
    line++
    i = buffer.indexOf(10, i + 1)
  }
  return line
}
