/**
 * How long an approval may last, per capability domain. An over-long request is refused, never
 * silently capped: the owner must know exactly what they approved.
 */
import {formatDuration} from '../cli/duration.js'
import {usageError} from '../cli/errors.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

interface TtlRule {
  defaultMs: number
  maxMs: number
}

/** Money and data get shorter leashes than inference keys. */
const BY_DOMAIN: Record<string, TtlRule> = {
  ai: {defaultMs: 8 * HOUR, maxMs: 30 * DAY},
  search: {defaultMs: 8 * HOUR, maxMs: 30 * DAY},
  observability: {defaultMs: 8 * HOUR, maxMs: 30 * DAY},
  payments: {defaultMs: 1 * HOUR, maxMs: 7 * DAY},
  db: {defaultMs: 1 * HOUR, maxMs: 7 * DAY},
  cloud: {defaultMs: 1 * HOUR, maxMs: 1 * DAY},
}
const FALLBACK: TtlRule = {defaultMs: 1 * HOUR, maxMs: 7 * DAY}

/** A wildcard domain gets the strictest rule of all. */
export function ttlRule(capability: string): TtlRule {
  const domain = capability.split('.')[0]
  if (domain === '*') {
    const all = [...Object.values(BY_DOMAIN), FALLBACK]
    return {defaultMs: Math.min(...all.map((rule) => rule.defaultMs)), maxMs: Math.min(...all.map((rule) => rule.maxMs))}
  }
  return BY_DOMAIN[domain] ?? FALLBACK
}

export function grantTtl(capability: string, requestedMs: number | undefined): number {
  const rule = ttlRule(capability)
  if (requestedMs === undefined) return rule.defaultMs
  if (requestedMs > rule.maxMs) {
    throw usageError(`--ttl ${formatDuration(requestedMs)} is longer than the maximum of ${formatDuration(rule.maxMs)} for ${capability}; nothing was approved`, [
      `approve for at most ${formatDuration(rule.maxMs)} and renew it when it expires`,
    ])
  }
  return requestedMs
}
