/**
 * A conservative check against key-format patterns that can make V8's backtracking matcher take
 * exponential time (scan runs every pattern over every file, and would hang on one such line):
 *   - a repeated group that itself contains a variable-length repeat: star height above one,
 *     "(a+)+", "(?:x*y?)*", "(a{1,3}){2,}". A fixed count inside ("(?:[a-f0-9]{4}-){3}") is fine;
 *   - backreferences ("\1", "\k<name>"), which no key format needs.
 *   - an alternation inside a group repeated a variable number of times: "(a|a)+", "(a|aa)+$" are
 *     exponential when branches overlap, and "[ab]+" says the same without the risk.
 * It does not prove a pattern safe: it refuses the shapes that hang in practice. Only for patterns
 * that already compile as JS regexes.
 */

interface Quantifier {
  min: number
  max: number
  /** characters the quantifier takes, a trailing lazy "?" included */
  length: number
}

/** `*`, `+`, `?` or `{n}`, `{n,}`, `{n,m}` at `index`, or undefined (a `{` that is not a count is a literal). */
function quantifierAt(source: string, index: number): Quantifier | undefined {
  const char = source[index]
  let quantifier: Quantifier | undefined
  if (char === '*') quantifier = {min: 0, max: Infinity, length: 1}
  else if (char === '+') quantifier = {min: 1, max: Infinity, length: 1}
  else if (char === '?') quantifier = {min: 0, max: 1, length: 1}
  else if (char === '{') {
    const count = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(index))
    if (!count) return undefined
    const min = Number(count[1])
    const max = count[2] === undefined ? min : (count[3] === '' ? Infinity : Number(count[3]))
    quantifier = {min, max, length: count[0].length}
  }
  if (quantifier && source[index + quantifier.length] === '?') quantifier.length++
  return quantifier
}

/** Where the character class opened at `index` ends (the index after its `]`). */
function classEnd(source: string, index: number): number {
  let at = index + 1
  while (at < source.length && source[at] !== ']') at += source[at] === '\\' ? 2 : 1
  return at + 1
}

/** How many characters the group prefix after `(` takes: `?:`, `?=`, `?!`, `?<=`, `?<!`, `?<name>`. */
function groupPrefixLength(source: string, index: number): number {
  if (source[index + 1] !== '?') return 1
  const next = source[index + 2]
  if (next === ':' || next === '=' || next === '!') return 3
  if (next === '<') {
    if (source[index + 3] === '=' || source[index + 3] === '!') return 4
    const close = source.indexOf('>', index + 3)
    return close < 0 ? 3 : close - index + 1
  }
  return 2
}

/** Why `source` may backtrack exponentially, or undefined when it has none of the refused shapes. */
export function regexHazard(source: string): string | undefined {
  // one frame per open group: does it hold a variable-length repeat anywhere inside?
  const groups: {variable: boolean; alternation: boolean; start: number}[] = [{variable: false, alternation: false, start: 0}]
  // the atom a following quantifier would apply to: a closed group (with what it holds), or another atom
  let last: {group: boolean; variable: boolean; alternation?: boolean; start: number} | undefined
  let index = 0
  while (index < source.length) {
    const char = source[index]
    if (char === '\\') {
      const next = source[index + 1]
      if ((next >= '1' && next <= '9') || (next === 'k' && source[index + 2] === '<')) {
        return `backreference "\\${next}${next === 'k' ? '<…>' : ''}" at character ${index + 1}: backreferences can make matching take exponential time; a key format does not need them`
      }
      last = {group: false, variable: false, start: index}
      index += 2
      continue
    }
    if (char === '[') {
      last = {group: false, variable: false, start: index}
      index = classEnd(source, index)
      continue
    }
    if (char === '(') {
      groups.push({variable: false, alternation: false, start: index})
      last = undefined
      index += groupPrefixLength(source, index)
      continue
    }
    if (char === ')') {
      const group = groups.length > 1 ? groups.pop()! : {variable: false, alternation: false, start: index}
      last = {group: true, variable: group.variable, alternation: group.alternation, start: group.start}
      // a repeat (or an alternation) inside this group is also inside every group around it
      if (group.variable) groups.at(-1)!.variable = true
      if (group.alternation) groups.at(-1)!.alternation = true
      index++
      continue
    }
    const quantifier = quantifierAt(source, index)
    if (quantifier) {
      if (last?.group && last.variable && quantifier.max > 1) {
        const shown = source.slice(last.start, index + quantifier.length)
        return `nested quantifier "${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}" at character ${last.start + 1}: a repeated group that itself holds a repeat can take exponential time on a near-miss (write "(a+)+b" as "a+b")`
      }
      if (last?.group && last.alternation && quantifier.max > 1 && quantifier.max !== quantifier.min) {
        const shown = source.slice(last.start, index + quantifier.length)
        return `repeated alternation "${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}" at character ${last.start + 1}: when branches overlap ("(a|aa)+") matching can take exponential time; use a character class ("[ab]+") or a fixed count`
      }
      if (quantifier.max !== quantifier.min) groups.at(-1)!.variable = true
      last = undefined
      index += quantifier.length
      continue
    }
    if (char === '|') groups.at(-1)!.alternation = true
    last = char === '|' ? undefined : {group: false, variable: false, start: index}
    index++
  }
  return undefined
}
