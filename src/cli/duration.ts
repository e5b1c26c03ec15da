import {usageError} from './errors.js'

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000}

const MAX_MS = 366 * UNITS.d

const HOW = 'use a number with a unit, e.g. 30s, 15m, 8h, 7d (a bare number is seconds)'

/**
 * "90s", "15m", "8h", "7d", "1h30m"; bare numbers are seconds, in every command. Refuses zero,
 * negatives and anything over `maxMs` (default 366d), naming the limit that applies to this flag
 * (`maxText`, when the real limit is checked later, e.g. per capability by grantTtl).
 */
export function parseDuration(text: string, what = 'duration', maxMs = MAX_MS, maxText?: string): number {
  const trimmed = text.trim()
  if (/^\d{1,9}$/.test(trimmed)) return checkRange(Number(trimmed) * 1000, text, what, maxMs, maxText)
  const pattern = /(\d{1,9})(ms|s|m|h|d|w)/gy
  let total = 0
  let matched = 0
  for (let match = pattern.exec(trimmed); match; match = pattern.exec(trimmed)) {
    total += Number(match[1]) * UNITS[match[2]]
    matched = pattern.lastIndex
  }
  if (matched === 0 || matched !== trimmed.length) {
    throw usageError(`${what}: cannot read "${text}"`, [HOW])
  }
  return checkRange(total, text, what, maxMs, maxText)
}

function checkRange(ms: number, text: string, what: string, maxMs: number, maxText = formatDuration(maxMs)): number {
  if (!Number.isSafeInteger(ms) || ms <= 0 || ms > maxMs) throw usageError(`${what}: "${text}" must be more than 0 and at most ${maxText}`, [HOW])
  return ms
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  const parts: string[] = []
  let rest = Math.round(ms / 1000)
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`)
      rest %= size
    }
  }
  return parts.slice(0, 2).join('')
}
