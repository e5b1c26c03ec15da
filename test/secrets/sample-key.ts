/**
 * Builds a random string that matches a key-format regex, for the small regex subset the catalog
 * uses: literals, escapes, [classes] (ranges, negation, \s), (?:a|b) groups and ? * + {n} {n,} {n,m}.
 * Anything else throws, which also keeps built-in patterns inside that portable subset.
 */
import {randomInt} from 'node:crypto'

type Node = {kind: 'chars'; chars: string[]} | {kind: 'alt'; options: Item[][]}
interface Item {node: Node; min: number; max: number}

const PRINTABLE = Array.from({length: 95}, (_, i) => String.fromCharCode(32 + i))
const WHITESPACE = [' ', '\t', '\n', '\r', '\f', '\v']
const DIGITS = '0123456789'.split('')
const WORD = [...'abcdefghijklmnopqrstuvwxyz', ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ', ...DIGITS, '_']

function parse(source: string): Item[][] {
  let i = 0
  const escape = (): string[] => {
    const ch = source[i++]
    if (ch === 'd') return DIGITS
    if (ch === 'w') return WORD
    if (ch === 's') return WHITESPACE
    if (ch === undefined || /[a-zA-Z0-9]/.test(ch)) throw new Error(`unsupported escape \\${ch} in ${source}`)
    return [ch]
  }
  const charClass = (): string[] => {
    const negate = source[i] === '^'
    if (negate) i++
    const set = new Set<string>()
    while (source[i] !== ']') {
      if (i >= source.length) throw new Error(`unclosed class in ${source}`)
      let first: string[]
      if (source[i] === '\\') { i++; first = escape() } else first = [source[i++]]
      if (first.length === 1 && source[i] === '-' && source[i + 1] !== ']') {
        i++
        const end = source[i] === '\\' ? (i++, escape()[0]) : source[i++]
        for (let c = first[0].charCodeAt(0); c <= end.charCodeAt(0); c++) set.add(String.fromCharCode(c))
      } else for (const c of first) set.add(c)
    }
    i++
    return negate ? PRINTABLE.filter((c) => !set.has(c) && c !== ' ') : [...set]
  }
  const quantifier = (): [number, number] => {
    const ch = source[i]
    if (ch === '?') { i++; return [0, 1] }
    if (ch === '*') { i++; return [0, 8] }
    if (ch === '+') { i++; return [1, 9] }
    if (ch === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i))
      if (!m) throw new Error(`bad quantifier in ${source}`)
      i += m[0].length
      const min = Number(m[1])
      return [min, m[2] === undefined ? min : m[3] === '' ? min + 10 : Number(m[3])]
    }
    return [1, 1]
  }
  const alternation = (): Item[][] => {
    const options: Item[][] = [[]]
    while (i < source.length && source[i] !== ')') {
      const ch = source[i++]
      let node: Node
      if (ch === '|') { options.push([]); continue }
      if (ch === '(') {
        if (source.slice(i, i + 2) !== '?:') throw new Error(`only (?:…) groups are supported: ${source}`)
        i += 2
        node = {kind: 'alt', options: alternation()}
        if (source[i++] !== ')') throw new Error(`unclosed group in ${source}`)
      } else if (ch === '[') node = {kind: 'chars', chars: charClass()}
      else if (ch === '\\') node = {kind: 'chars', chars: escape()}
      else if ('^$.'.includes(ch)) throw new Error(`unsupported ${ch} in ${source}`)
      else node = {kind: 'chars', chars: [ch]}
      const [min, max] = quantifier()
      options.at(-1)!.push({node, min, max})
    }
    return options
  }
  const result = alternation()
  if (i !== source.length) throw new Error(`unbalanced ) in ${source}`)
  return result
}

function generate(options: Item[][]): string {
  const items = options[randomInt(options.length)]
  let out = ''
  for (const {node, min, max} of items) {
    const count = min + randomInt(max - min + 1)
    for (let n = 0; n < count; n++) out += node.kind === 'chars' ? node.chars[randomInt(node.chars.length)] : generate(node.options)
  }
  return out
}

/** A random value matching `pattern` (an unanchored source from the catalog). */
export function sampleFor(pattern: string): string {
  return generate(parse(pattern))
}
