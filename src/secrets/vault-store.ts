/**
 * The vault as lowdb sees it: `Low` over an encrypting adapter. The adapter is the only code that
 * reads or writes the vault file, and its write is the one write path: compare-and-swap on the
 * generation, seal, self-check, atomic replace. `transact` wraps it in the inter-process lock,
 * the audit anchor check and the audit append that records the decision before the effect.
 */
import {statSync, truncateSync} from 'node:fs'

import {Low, type Adapter} from 'lowdb'

import type {AuditEvent} from '../audit/events.js'
import type {AuditLog} from '../audit/log.js'
import {VaultError} from '../cli/errors.js'
import {removeOrphanTemps, writeFileAtomic} from './atomic-write.js'
import {integrityError, openBody, parseForWrite, sealVault} from './vault-codec.js'
import {readVaultBytes} from './vault-file.js'
import {type VaultHeader, parseVaultFile} from './vault-header.js'
import type {VaultKeys} from './vault-keys.js'
import {acquireVaultLock} from './vault-lock.js'
import type {VaultBody} from './vault-schema.js'

/**
 * Sealed records after the anchor are what a crash between the audit fsync and the vault rename
 * leaves: the decision was recorded, its effect never written. Every sealed record names the
 * generation its write was about to produce, so retries of that one write (generation + 1) are
 * accepted and a vault survives kill -9 at any moment; a sealed record for any other generation
 * means the vault is older than its log (exit 10). The price, documented in the README: a
 * rollback of exactly one write looks like such a crash.
 */
export function checkAnchor(audit: AuditLog, body: VaultBody): void {
  audit.checkAnchor(body.auditAnchor, {allowSealedAfter: pendingRetries(audit, body)})
}

function pendingRetries(audit: AuditLog, body: VaultBody): number {
  if (!body.auditAnchor) return 0
  let after: ReturnType<AuditLog['readAfter']>
  try {
    after = audit.readAfter(body.auditAnchor.seq)
  } catch {
    return 0 // checkAnchor reports what is wrong with the log
  }
  const sealed = after.filter((record) => record.sealed)
  return sealed.every((record) => record.data?.vaultGeneration === body.generation + 1) ? sealed.length : 0
}

function liveSize(path: string): number | undefined {
  try {
    return statSync(path).size
  } catch {
    return undefined
  }
}

/** Best effort: a record left behind is still tolerated as a pending retry (see checkAnchor). */
function undoAppend(path: string, size: number): void {
  try {
    if (statSync(path).size > size) truncateSync(path, size)
  } catch { /* the next command sees one pending record, which is tolerated */ }
}

const IO_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EACCES', 'EPERM', 'EFBIG', 'EISDIR', 'EEXIST', 'ELOOP'])

function writeFailure(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code
  if (error instanceof VaultError || !code || !IO_CODES.has(code)) return error
  return new VaultError('VAULT_WRITE_FAILED', `could not write the vault (${code}); nothing was changed`, {
    cause: error, suggestions: code === 'ENOSPC' || code === 'EDQUOT' ? ['free some disk space and run the command again'] : ['check the vault folder\'s permissions and free space, then run the command again'],
  })
}

/** A wall clock this far behind the vault's last seen time is treated as tampering. */
export const CLOCK_TOLERANCE_MS = 5 * 60 * 1000

export class EncryptedVaultAdapter implements Adapter<VaultBody> {
  header: VaultHeader | undefined
  /** the file bytes the current body came from (or was written as) */
  bytes: Buffer | undefined
  private generation = -1

  /** `known`: bytes and body already authenticated by this process; identical bytes on disk skip the decrypt and parse */
  constructor(readonly path: string, private keys: VaultKeys, private readonly vaultId: string, private readonly known?: {bytes: Buffer; body: VaultBody}) {}

  /** passwd/rekey: the next write uses these slots (and keys); the CAS still checks the old generation */
  replaceKeys(header: VaultHeader, keys?: VaultKeys): void {
    this.header = header
    if (keys) this.keys = keys
  }

  async read(): Promise<VaultBody> {
    const bytes = readVaultBytes(this.path)
    const parsed = parseVaultFile(bytes)
    if (parsed.header.vaultId !== this.vaultId) throw integrityError('the vault file was replaced by another vault')
    const body = this.known && bytes.equals(this.known.bytes) ? structuredClone(this.known.body) : openBody(parsed, this.keys)
    this.bytes = bytes
    this.header = parsed.header
    this.generation = parsed.header.generation
    return body
  }

  async write(body: VaultBody): Promise<void> {
    const current = parseForWrite(readVaultBytes(this.path))
    if (!this.header || current.header.generation !== this.generation || current.header.vaultId !== this.vaultId) {
      throw new VaultError('VAULT_BUSY', 'the vault changed while this command was working; nothing was written', {
        suggestions: ['run the command again'],
      })
    }
    const next: VaultBody = {...body, generation: this.generation + 1}
    const bytes = sealVault(this.header, next, this.keys)
    openBody(parseVaultFile(bytes), this.keys) // self-check: never replace a good file with one we cannot read
    writeFileAtomic(this.path, bytes)
    this.bytes = bytes
    this.generation = next.generation
    this.header = {...this.header, generation: next.generation}
    body.generation = next.generation
  }
}

export interface OpenedVault {
  path: string
  header: VaultHeader
  body: VaultBody
  /** the file bytes `body` was authenticated from */
  bytes: Buffer
  keys: VaultKeys
  audit: AuditLog
}

export interface TransactOptions {
  lockTimeoutMs: number
  now: () => Date
}

export interface TransactionOutcome<T> {
  result: T
  /** exactly the records of this decision; appended (fsynced) before the vault changes */
  events: AuditEvent[]
  /** a new header (key slots changed by passwd/rekey); the generation is managed here */
  header?: VaultHeader
  /** new keys for the file from now on (rekey) */
  keys?: VaultKeys
}

export function checkClock(body: VaultBody, now: Date): void {
  if (now.getTime() < Date.parse(body.lastSeen) - CLOCK_TOLERANCE_MS) {
    throw new VaultError('CLOCK_SKEW', `the system clock (${now.toISOString()}) is behind the last time this vault was used (${body.lastSeen})`, {
      suggestions: [
        'fix the system clock; codex-vault denies while time appears to run backwards',
        'if the clock is right and the vault once saw a wrong future time: codex-vault unlock --reset-clock (needs the passphrase; audited)',
      ],
    })
  }
}

export interface TransactFlags {
  /**
   * unlock --reset-clock only: skip the clock check and set lastSeen to now even when that moves it
   * back. The caller must have authenticated with the passphrase and must record the reset.
   */
  resetClock?: boolean
}

/**
 * lock -> fresh authenticated read -> audit anchor check -> clock check -> mutate -> append audit
 * (fsync) -> write vault with the new anchor -> unlock. If the audit append fails nothing is written.
 */
export async function transact<T>(vault: OpenedVault, options: TransactOptions,
  mutate: (body: VaultBody, now: Date) => TransactionOutcome<T> | Promise<TransactionOutcome<T>>, flags: TransactFlags = {}): Promise<T> {
  const lock = await acquireVaultLock(vault.path, options.lockTimeoutMs)
  try {
    removeOrphanTemps(vault.path)
    const adapter = new EncryptedVaultAdapter(vault.path, vault.keys, vault.header.vaultId, {bytes: vault.bytes, body: vault.body})
    const db = new Low<VaultBody>(adapter, null as unknown as VaultBody)
    await db.read()
    const body = db.data
    checkAnchor(vault.audit, body)
    const now = options.now()
    if (!flags.resetClock) checkClock(body, now)
    const outcome = await mutate(body, now)
    const auditSize = liveSize(vault.audit.path)
    const segmentBefore = vault.audit.head()?.segment
    for (const event of outcome.events) {
      body.auditAnchor = vault.audit.append({...event, data: {...event.data, vaultGeneration: body.generation + 1}}, vault.keys.audit)
    }
    if (flags.resetClock || now.toISOString() > body.lastSeen) body.lastSeen = now.toISOString()
    if (outcome.header || outcome.keys) adapter.replaceKeys(outcome.header ?? adapter.header!, outcome.keys)
    try {
      await db.write()
    } catch (error) {
      // The effect did not happen: take its record back (we still hold the lock) so the log does not
      // claim a write that never was, and report the I/O failure as what it is.
      if (auditSize !== undefined && body.auditAnchor?.segment === segmentBefore) undoAppend(vault.audit.path, auditSize)
      throw writeFailure(error)
    }
    if (outcome.keys) {
      vault.keys.wipe()
      vault.keys = outcome.keys
    }
    vault.body = body
    vault.bytes = adapter.bytes!
    vault.header = adapter.header!
    return outcome.result
  } finally {
    lock.release()
  }
}
