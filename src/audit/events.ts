/**
 * The shapes of audit events and records. Events carry metadata only: the log is readable by anyone
 * who can read the vault directory, so a secret value, passphrase or token must never be put here
 * (use secretFingerprint from fingerprint.ts to identify a secret version instead).
 */
import {VaultError} from '../cli/errors.js'

export type AuditOutcome = 'allow' | 'deny' | 'ok' | 'error'

/** Metadata only: strings, numbers, booleans, string arrays, null. Never secret values, passphrases or tokens. */
export type AuditData = Record<string, string | number | boolean | null | string[]>

export interface AuditEvent {
  /** e.g. 'vault.init', 'session.unlock', 'session.deny', 'secret.set', 'run.allow', 'run.exit', 'grant.approve', 'kill', 'audit.repair' */
  type: string
  outcome: AuditOutcome
  /** human text for denials/errors (no secrets) */
  reason?: string
  asset?: string
  provider?: string
  capability?: string
  data?: AuditData
}

export interface AuditRecord extends AuditEvent {
  /** 0-based, global across segments (continues after rotation) */
  seq: number
  /** ISO time */
  ts: string
  /** hex of the previous record's hash (64 zero hex chars for the very first) */
  prev: string
  segment: number
  pid: number
  sealed: boolean
  /** hex, computed on read, not stored in the payload */
  hash: string
}

/** What the vault remembers about the log: head = hex hash of record seq, which starts at offset in segment. */
export interface AuditAnchor {
  segment: number
  seq: number
  offset: number
  head: string
}

export const OUTCOMES: readonly AuditOutcome[] = ['allow', 'deny', 'ok', 'error']

const TYPE_PATTERN = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/
const MAX_TEXT = 4096

function bad(message: string): VaultError {
  // An invalid event is a programming error in the caller, not a user mistake.
  return new VaultError('INTERNAL', `invalid audit event: ${message}`)
}

function checkText(name: string, value: unknown): void {
  if (value === undefined) return
  if (typeof value !== 'string' || value.length > MAX_TEXT) throw bad(`${name} must be a string of at most ${MAX_TEXT} characters`)
}

function checkData(data: unknown): void {
  if (data === undefined) return
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw bad('data must be an object')
  for (const [key, value] of Object.entries(data)) {
    if (key.length === 0 || key.length > 128) throw bad('data keys must be 1-128 characters')
    if (value === null || typeof value === 'boolean') continue
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw bad(`data.${key} must be a finite number`)
      continue
    }
    if (typeof value === 'string') {
      checkText(`data.${key}`, value)
      continue
    }
    if (Array.isArray(value) && value.every((item) => typeof item === 'string' && item.length <= MAX_TEXT)) continue
    throw bad(`data.${key} must be a string, number, boolean, null or string array`)
  }
}

/** Reject events that would not round-trip through canonical JSON or that smuggle in non-metadata. */
export function validateEvent(event: AuditEvent): void {
  if (event === null || typeof event !== 'object') throw bad('event must be an object')
  if (typeof event.type !== 'string' || event.type.length > 128 || !TYPE_PATTERN.test(event.type)) {
    throw bad('type must look like "area.action" (lowercase)')
  }
  if (!OUTCOMES.includes(event.outcome)) throw bad(`outcome must be one of ${OUTCOMES.join(', ')}`)
  checkText('reason', event.reason)
  checkText('asset', event.asset)
  checkText('provider', event.provider)
  checkText('capability', event.capability)
  checkData(event.data)
}

/** Does a record match the `type` filter of `audit tail`: exact, or a prefix such as 'run' for 'run.*'. */
export function typeMatches(type: string, filter: string): boolean {
  return type === filter || type.startsWith(filter.endsWith('.') ? filter : `${filter}.`)
}
