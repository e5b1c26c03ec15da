/**
 * Generates a random string matching a (simple) catalog regex: literals, escapes, classes,
 * groups with alternation and quantifiers. Used to plant one key per format at test time, so that
 * no real-looking key is ever committed.
 */
import crypto from 'node:crypto'

type Node = {t: 'lit'; c: string} | {t: 'set'; chars: string} | {t: 'alt'; alts: Node[][]} | {t: 'rep'; node: Node; min: number; max: number} | {t: 'empty'}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const PRINTABLE = `${ALNUM}_-+/=.`

function range(from: string, to: string): string {
  let out = ''
  for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c++) out += String.fromCharCode(c)
  return out
}

function escapeChars(c: string): string {
  switch (c) {
    case 'd': return range('0', '9')
    case 'w': return `${ALNUM}_`
    case 's': return ' '
    default: return c
  }
}

function parse(source: string): Node[] {
  let i = 0
  const parseAlt = (): Node => {
    const alts: Node[][] = [parseSeq()]
    while (source[i] === '|') {
      i++
      alts.push(parseSeq())
    }
    return {t: 'alt', alts}
  }
  const parseClass = (): Node => {
    i++ // [
    let negate = false
    if (source[i] === '^') {
      negate = true
      i++
    }
    let chars = ''
    while (source[i] !== ']') {
      let c = source[i++]
      if (c === '\\') {
        c = escapeChars(source[i++])
        chars += c
        continue
      }
      if (source[i] === '-' && source[i + 1] !== ']') {
        chars += range(c, source[i + 1])
        i += 2
      } else chars += c
    }
    i++ // ]
    if (negate) chars = [...PRINTABLE].filter((c) => !chars.includes(c)).join('')
    return {t: 'set', chars}
  }
  const parseAtom = (): Node => {
    const c = source[i]
    if (c === '(') {
      i++
      if (source[i] === '?') {
        if (source[i + 1] === ':') i += 2
        else if (source[i + 1] === '<') i = source.indexOf('>', i) + 1
        else throw new Error(`unsupported group in ${source}`)
      }
      const node = parseAlt()
      i++ // )
      return node
    }
    if (c === '[') return parseClass()
    if (c === '\\') {
      const e = source[i + 1]
      i += 2
      if (e === 'b' || e === 'B') return {t: 'empty'}
      const chars = escapeChars(e)
      return chars.length > 1 ? {t: 'set', chars} : {t: 'lit', c: chars}
    }
    if (c === '^' || c === '$') {
      i++
      return {t: 'empty'}
    }
    if (c === '.') {
      i++
      return {t: 'set', chars: ALNUM}
    }
    i++
    return {t: 'lit', c}
  }
  const parseSeq = (): Node[] => {
    const seq: Node[] = []
    while (i < source.length && source[i] !== '|' && source[i] !== ')') {
      let node = parseAtom()
      const q = source[i]
      if (q === '*' || q === '+' || q === '?') {
        i++
        node = {t: 'rep', node, min: q === '+' ? 1 : 0, max: q === '?' ? 1 : 24}
      } else if (q === '{') {
        const end = source.indexOf('}', i)
        const [a, b] = source.slice(i + 1, end).split(',')
        i = end + 1
        const min = Number(a)
        node = {t: 'rep', node, min, max: b === undefined ? min : b === '' ? min + 24 : Number(b)}
      }
      if (source[i] === '?') i++ // lazy
      seq.push(node)
    }
    return seq
  }
  return [parseAlt()]
}

function generate(nodes: Node[]): string {
  let out = ''
  for (const node of nodes) {
    switch (node.t) {
      case 'lit': out += node.c; break
      case 'set': out += node.chars[crypto.randomInt(node.chars.length)]; break
      case 'alt': out += generate(node.alts[crypto.randomInt(node.alts.length)]); break
      case 'rep': {
        // Lean long: real keys sit at the long end of their ranges.
        const n = node.max === node.min ? node.min : Math.max(node.min, node.max - crypto.randomInt(Math.min(4, node.max - node.min + 1)))
        for (let k = 0; k < n; k++) out += generate([node.node])
        break
      }
      case 'empty': break
    }
  }
  return out
}

/** A random value that matches `pattern` in full and that `accept` agrees with (e.g. not placeholder-like). */
export function sampleFor(pattern: string, accept: (value: string) => boolean = () => true): string {
  const whole = new RegExp(`^(?:${pattern})$`)
  const tree = parse(pattern)
  for (let attempt = 0; attempt < 200; attempt++) {
    const value = generate(tree)
    if (whole.test(value) && accept(value)) return value
  }
  throw new Error(`could not generate a sample for ${pattern}`)
}
