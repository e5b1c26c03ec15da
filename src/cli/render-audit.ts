import chalk from 'chalk'

import type {AuditRecord} from '../audit/events.js'

const OUTCOME_COLOUR = {allow: chalk.green, ok: chalk.green, deny: chalk.red, error: chalk.yellow} as const

/**
 * One line per record. Unsealed records carry no MAC, so nothing proves who wrote them: they are
 * tagged, and their text must be read as a claim (a genuine one is a denial from before an unlock).
 */
export function renderAuditRecord(record: AuditRecord): string {
  const subject = [record.asset, record.provider, record.capability].filter(Boolean).join(' ')
  const data = record.data ? Object.entries(record.data).map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`).join(' ') : ''
  const outcome = OUTCOME_COLOUR[record.outcome](record.outcome.padEnd(5))
  const unsealed = record.sealed ? '' : chalk.yellow('unsealed')
  return [chalk.dim(`#${record.seq}`), record.ts.replace('T', ' ').slice(0, 19), record.type.padEnd(16), outcome, unsealed, subject, record.reason ? chalk.yellow(record.reason) : '', chalk.dim(data)]
    .filter((part) => part !== '').join('  ')
}
