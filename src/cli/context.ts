/**
 * The boot sequence every command goes through (spec/product.md):
 *   1. configuration (resolved by the base command and passed in here),
 *   2. provider catalog (built in + user-defined, validated),
 *   3. open the vault, verify its integrity, load the permissions state,
 *   4. health: schema, audit anchor, clock, session; until this passes the system is locked,
 *   5. accept the request.
 * Any failure denies with its exit code and, where the audit log can take it, an unsealed record.
 */
import type {AuditEvent} from '../audit/events.js'
import {AuditLog} from '../audit/log.js'
import {checkCiVault, readCiKey} from '../auth/ci-vault.js'
import {auditPathFor, auditSegmentBytes} from '../auth/paths.js'
import {readPassphrase, type PassphraseSource} from '../auth/passphrase.js'
import {claimedSessionScope, noSession, openSession, removeSessionFile, type SessionScope} from '../auth/session.js'
import {RUN_ONLY_SESSION, checkSessionScope} from '../auth/session-scope.js'
import {wipe} from '../secrets/crypto.js'
import type {Catalog} from '../secrets/providers/catalog.js'
import {openBody, unwrapWithKey, unwrapWithPassphrase} from '../secrets/vault-codec.js'
import {readVaultBytes} from '../secrets/vault-file.js'
import {type ParsedVaultFile, parseVaultFile} from '../secrets/vault-header.js'
import {type VaultKeys, vaultKeysFrom} from '../secrets/vault-keys.js'
import {acquireVaultLock} from '../secrets/vault-lock.js'
import {type OpenedVault, checkAnchor, type TransactFlags, type TransactOptions, type TransactionOutcome, checkClock, transact} from '../secrets/vault-store.js'
import type {VaultBody} from '../secrets/vault-schema.js'
import {VaultError} from './errors.js'

export interface CommandEnv extends PassphraseSource {
  vaultPath: string
  lockTimeoutMs: number
  now(): Date
}

export interface AuthenticatedVault extends OpenedVault {
  /** how this command authenticated */
  via: {kind: 'session'; sessionId: string; expiresAt: string; scope?: SessionScope} | {kind: 'passphrase'} | {kind: 'ci-key'}
  catalog(): Promise<Catalog>
  /** `now` is the time the transaction runs at (the one lastSeen moves to) */
  transact<T>(mutate: (body: VaultBody, now: Date) => TransactionOutcome<T> | Promise<TransactionOutcome<T>>, flags?: TransactFlags): Promise<T>
  /** one sealed audit record (a denial, a run's exit) with the anchor moved to it; the body is otherwise unchanged */
  recordDenial(event: AuditEvent): Promise<void>
  close(): void
  /** only with BootOptions.deferAuditCheck: why the audit anchor check failed */
  auditCheckFailure?: VaultError
}

/** Steps 1-3 without a key: parse the plaintext header (exit 3 on any problem). */
export function readHeader(vaultPath: string): ParsedVaultFile {
  return parseVaultFile(readVaultBytes(vaultPath))
}

/** A denial that happened before a key was available: chained, unsealed, sealed by a later record. */
export async function recordUnsealedDenial(vaultPath: string, event: AuditEvent): Promise<void> {
  let lock
  try {
    lock = await acquireVaultLock(vaultPath, 2000)
    new AuditLog({path: auditPathFor(vaultPath), segmentBytes: auditSegmentBytes(process.env)}).append(event, null)
  } catch {
    // the command is already failing with its own exit code; the missing record is the lesser problem
  } finally {
    lock?.release()
  }
}

export interface BootOptions {
  /** unlock, rekey: a session must not stand in for the passphrase */
  ignoreSession?: boolean
  /** a passphrase the command already read (owned and wiped by the caller) */
  passphrase?: Buffer
  /**
   * unlock --reset-clock: the vault's last-seen time is ahead of the clock and the owner, with the
   * passphrase, says the clock is right. Boot skips the clock check (the command resets it next);
   * refused with a run-only session in the environment.
   */
  resetClock?: boolean
  /**
   * audit verify: a failed audit anchor check does not end the boot (nor write a denial); it is
   * handed over as auditCheckFailure, for a command that reads the log and changes nothing
   */
  deferAuditCheck?: boolean
}

async function unlockKeys(env: CommandEnv, parsed: ParsedVaultFile, options: BootOptions, command: string): Promise<{keys: VaultKeys; via: AuthenticatedVault['via']}> {
  const token = env.env.CODEX_VAULT_SESSION
  if (options.passphrase) return {keys: vaultKeysFrom(await unwrapWithPassphrase(parsed, options.passphrase)), via: {kind: 'passphrase'}}
  if (token !== undefined && token !== '' && !options.ignoreSession) {
    const session = openSession(env.env, token, parsed.header.vaultId, env.now())
    return {keys: vaultKeysFrom(session.dek), via: {kind: 'session', sessionId: session.sessionId, expiresAt: session.expiresAt, ...(session.scope ? {scope: session.scope} : {})}}
  }
  const ciKey = readCiKey(env.env)
  if (ciKey !== null) {
    try {
      return {keys: vaultKeysFrom(unwrapWithKey(parsed, ciKey)), via: {kind: 'ci-key'}}
    } finally {
      wipe(ciKey)
    }
  }
  const passphrase = await readPassphrase(env, {purpose: 'vault passphrase', ...(options.ignoreSession ? {requiredBy: command.replaceAll(':', ' ')} : {})})
  try {
    return {keys: vaultKeysFrom(await unwrapWithPassphrase(parsed, passphrase)), via: {kind: 'passphrase'}}
  } finally {
    wipe(passphrase)
  }
}

interface OpenedFile {
  bytes: Buffer
  parsed: ParsedVaultFile
  body: VaultBody
}

/**
 * The audit anchor check. Another writer may have moved vault and log on between our read and the
 * check (the KDF alone can take a second): a ROLLBACK is looked at again under the lock before it
 * stands. Returns the vault as it was checked.
 */
async function settledAnchorCheck(env: CommandEnv, audit: AuditLog, keys: VaultKeys, opened: OpenedFile): Promise<OpenedFile> {
  try {
    checkAnchor(audit, opened.body)
    return opened
  } catch (error) {
    if (!(error instanceof VaultError && error.code === 'ROLLBACK')) throw error
    const lock = await acquireVaultLock(env.vaultPath, env.lockTimeoutMs)
    try {
      let current = opened
      const fresh = readVaultBytes(env.vaultPath)
      if (!fresh.equals(opened.bytes)) {
        const parsed = parseVaultFile(fresh)
        if (parsed.header.vaultId !== opened.parsed.header.vaultId) throw error
        current = {bytes: fresh, parsed, body: openBody(parsed, keys)}
      }
      checkAnchor(audit, current.body)
      return current
    } finally {
      lock.release()
    }
  }
}

/** A failure of the audit log itself, as opposed to the vault file, the key or the session. */
function isAuditFailure(error: unknown): error is VaultError {
  return error instanceof VaultError && (error.code === 'ROLLBACK' || (error.code === 'INTEGRITY' && error.details?.auditType === 'audit.integrity'))
}

const DENIAL_TYPES: Record<string, string> = {
  AUTH_FAILED: 'auth.deny', NO_SESSION: 'session.deny', INTEGRITY: 'vault.integrity', ROLLBACK: 'audit.rollback', CLOCK_SKEW: 'clock.deny',
  POLICY_DENY: 'ci.deny', // at boot only an exported vault's own checks deny by policy
}

/** Steps 1-5 for a command that needs the key. */
export async function bootVault(env: CommandEnv, command: string, options: BootOptions = {}): Promise<AuthenticatedVault> {
  let bytes = readVaultBytes(env.vaultPath)
  let parsed = parseVaultFile(bytes)
  const audit = new AuditLog({path: auditPathFor(env.vaultPath), segmentBytes: auditSegmentBytes(env.env)})
  let keys: VaultKeys | undefined
  try {
    if (options.resetClock) {
      // owner-only: an agent holding a run-only session must not be able to move the clock back
      const token = env.env.CODEX_VAULT_SESSION
      if (token && claimedSessionScope(env.env, token, parsed.header.vaultId) === 'run') {
        throw new VaultError('POLICY_DENY', `unlock --reset-clock is not allowed with ${RUN_ONLY_SESSION} in the environment: only the vault's owner can reset the clock, in their own shell`, {
          suggestions: ['ask the vault\'s owner to run `codex-vault unlock --reset-clock` with the passphrase'],
          details: {auditType: 'session.scope.deny'},
        })
      }
      if (!options.passphrase) throw new VaultError('INTERNAL', 'unlock --reset-clock reached boot without the passphrase')
    }
    const unlocked = await unlockKeys(env, parsed, options, command)
    keys = unlocked.keys
    let body = openBody(parsed, keys)
    let auditCheckFailure: VaultError | undefined
    try {
      ;({body, bytes, parsed} = await settledAnchorCheck(env, audit, keys, {body, bytes, parsed}))
    } catch (error) {
      // audit verify walks the whole log itself and names the first bad record, which says more
      if (!(options.deferAuditCheck && isAuditFailure(error))) throw error
      auditCheckFailure = error
    }
    if (unlocked.via.kind === 'session') {
      const sessionId = unlocked.via.sessionId
      const record = body.sessions.find((session) => session.id === sessionId)
      if (record?.revoked) {
        // ended for good: its key file must not outlive it
        removeSessionFile(env.env, parsed.header.vaultId, sessionId)
        throw noSession('the session was ended (`codex-vault lock` or `rekey`)')
      }
      if (!record) throw noSession('the session is not in the vault (it belongs to an older copy of the vault, or ended long ago)')
      // the file's scope is bound to its wrapped key; the vault's record must agree with it
      if (record.scope !== unlocked.via.scope) throw noSession('the session file does not match the vault\'s record of the session')
      checkSessionScope(unlocked.via.scope, command)
    }
    if (!options.resetClock) checkClock(body, env.now())
    checkCiVault(body, command, env.now())
    const authenticated = makeAuthenticated({path: env.vaultPath, header: parsed.header, body, bytes, keys, audit}, unlocked.via, env)
    if (auditCheckFailure) authenticated.auditCheckFailure = auditCheckFailure
    return authenticated
  } catch (error) {
    keys?.wipe()
    const code = error instanceof VaultError ? error.code : 'INTERNAL'
    const type = (error instanceof VaultError && typeof error.details?.auditType === 'string' ? error.details.auditType : undefined) ?? DENIAL_TYPES[code]
    if (type && !(code === 'NO_SESSION' && error instanceof VaultError && error.message.startsWith('the vault is locked'))) {
      await recordUnsealedDenial(env.vaultPath, {type, outcome: 'deny', reason: (error as Error).message, data: {command: command.replaceAll(':', ' ')}})
    }
    throw error
  }
}

function makeAuthenticated(vault: OpenedVault, via: AuthenticatedVault['via'], env: CommandEnv): AuthenticatedVault {
  const options: TransactOptions = {lockTimeoutMs: env.lockTimeoutMs, now: () => env.now()}
  let catalog: Promise<Catalog> | undefined
  const authenticated: AuthenticatedVault = {
    ...vault,
    via,
    catalog() {
      catalog ??= import('../secrets/providers/catalog.js').then(({loadCatalog}) => loadCatalog(authenticated.body.providers))
      return catalog
    },
    async transact(mutate, flags) {
      const result = await transact(authenticated, options, mutate, flags)
      catalog = undefined
      return result
    },
    async recordDenial(event) {
      await transact(authenticated, options, () => ({result: undefined, events: [event]}))
    },
    close() {
      vault.keys.wipe()
    },
  }
  return authenticated
}
