/**
 * Sessions (`unlock`): the token `cvs1.<id>.<key>` lives only in the user's environment; the data
 * key wrapped under the token's key sits in a 0600 file whose expiry and scope are bound as
 * associated data, so editing either breaks decryption. Revocation is recorded in the vault body.
 * No file outlives its session: lock and rekey delete files, a command that finds its session
 * expired or ended deletes that file, and unlock and lock prune the files of every other one.
 * A run-only session (`unlock --run-only`, for a coding agent) may run apps and look, not approve
 * or change anything: session-scope.ts.
 */
import {closeSync, constants, fstatSync, openSync, readSync, readdirSync, rmSync, unlinkSync} from 'node:fs'
import {join} from 'node:path'
// zod/mini (see secrets/providers/schema.ts for why)
import '../secrets/zod-config.js' // first: jitless and English messages before any schema is built
import {iso, literal, optional, strictObject, string} from 'zod/mini'

import {VaultError} from '../cli/errors.js'
import {canonicalJson} from '../secrets/canonical-json.js'
import {NONCE_BYTES, aeadDecrypt, aeadEncrypt, fromB64, randomBytes, randomKey, toB64, wipe} from '../secrets/crypto.js'
import {writeFileAtomic} from '../secrets/atomic-write.js'
import type {SessionRecord} from '../secrets/vault-schema.js'
import {sessionRoot} from './paths.js'
import {ensurePrivateDir} from './private-dir.js'

const TOKEN_PATTERN = /^cvs1\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/
const MAX_SESSION_FILE = 4096

const sessionFileSchema = strictObject({
  v: literal(1),
  vaultId: string(),
  sessionId: string(),
  created: iso.datetime(),
  expiresAt: iso.datetime(),
  nonce: string(),
  ct: string(),
  scope: optional(literal('run')),
})

/** 'run': may run apps and look, not approve or change anything (unlock --run-only) */
export type SessionScope = 'run'

export function noSession(message: string): VaultError {
  return new VaultError('NO_SESSION', message, {
    suggestions: ['run `eval "$(codex-vault unlock)"` to start a session, or provide the passphrase (--passphrase-stdin or CODEX_VAULT_PASSPHRASE)'],
  })
}

// a full session's associated data is what it was before scopes existed, so its files stay valid
const sessionAd = (file: {vaultId: string; sessionId: string; created: string; expiresAt: string; scope?: SessionScope}) =>
  Buffer.from(`cv1/session|${file.vaultId}|${file.sessionId}|${file.created}|${file.expiresAt}${file.scope ? `|scope=${file.scope}` : ''}`)

export const sessionDir = (env: NodeJS.ProcessEnv, vaultId: string) => join(sessionRoot(env), vaultId)

export interface NewSession {
  token: string
  record: SessionRecord
}

export function createSession(env: NodeJS.ProcessEnv, vaultId: string, dek: Buffer, ttlMs: number, now: Date, scope?: SessionScope): NewSession {
  const idBytes = randomBytes(16)
  const sessionKey = randomKey()
  try {
    const sessionId = toB64(idBytes)
    const created = now.toISOString()
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString()
    const nonce = randomBytes(NONCE_BYTES)
    const ct = aeadEncrypt(sessionKey, nonce, dek, sessionAd({vaultId, sessionId, created, expiresAt, scope}))
    const dir = sessionDir(env, vaultId)
    ensurePrivateDir(dir)
    writeFileAtomic(join(dir, sessionId), canonicalJson({v: 1, vaultId, sessionId, created, expiresAt, nonce: toB64(nonce), ct: toB64(ct), ...(scope ? {scope} : {})}))
    return {token: `cvs1.${sessionId}.${toB64(sessionKey)}`, record: {id: sessionId, created, expiresAt, revoked: false, ...(scope ? {scope} : {})}}
  } finally {
    wipe(sessionKey)
  }
}

function readSmallFile(path: string): Buffer | 'missing' | 'damaged' {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (error) {
    // a symlink where the file should be (ELOOP) is not a session file; anything else: not there
    return (error as NodeJS.ErrnoException).code === 'ELOOP' ? 'damaged' : 'missing'
  }
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile() || stat.size > MAX_SESSION_FILE) return 'damaged'
    const buffer = Buffer.alloc(stat.size)
    const read = readSync(fd, buffer, 0, buffer.length, 0)
    return buffer.subarray(0, read)
  } finally {
    closeSync(fd)
  }
}

export interface OpenedSession {
  sessionId: string
  expiresAt: string
  scope?: SessionScope
  /** the data key, in secure memory; the caller owns and wipes it */
  dek: Buffer
}

function sessionDamaged(env: NodeJS.ProcessEnv, vaultId: string, what: string): VaultError {
  return new VaultError('INTEGRITY', `the session file is damaged (${what}); it was not used`, {
    suggestions: [
      'end the session with `codex-vault lock` (it removes the file), then start a new one: eval "$(codex-vault unlock)"',
      `if nobody edited it, look for what else writes to ${sessionDir(env, vaultId)}`,
    ],
    // bootVault audits it as a session problem, not as vault damage; lock may still remove the file
    details: {auditType: 'session.integrity', sessionFile: 'damaged'},
  })
}

/** True for an error that means "this session's file is damaged" (lock removes such a file). */
export function isDamagedSessionFile(error: unknown): boolean {
  return error instanceof VaultError && error.code === 'INTEGRITY' && error.details?.sessionFile === 'damaged'
}

type SessionFile = ReturnType<typeof sessionFileSchema.parse>

/** The file's JSON, checked against its schema and its own name; no key involved. */
function readSessionFile(path: string, vaultId: string, sessionId: string): SessionFile | 'missing' | 'damaged' {
  const raw = readSmallFile(path)
  if (raw === 'missing') return 'missing'
  if (raw === 'damaged') return 'damaged'
  let json: unknown
  try {
    json = JSON.parse(raw.toString('utf8'))
  } catch {
    return 'damaged'
  }
  const file = sessionFileSchema.safeParse(json)
  if (!file.success || file.data.vaultId !== vaultId || file.data.sessionId !== sessionId || Number.isNaN(Date.parse(file.data.expiresAt))) return 'damaged'
  return file.data
}

/**
 * A malformed token or a missing file is exit 7 (no session); a file that is there but is not a
 * session file is exit 5 (integrity). An expired session's file is deleted before its key is
 * touched: once expired, the file plus an old token must not unwrap the data key any more.
 */
export function openSession(env: NodeJS.ProcessEnv, token: string, vaultId: string, now: Date): OpenedSession {
  const match = TOKEN_PATTERN.exec(token.trim())
  if (!match) throw noSession('CODEX_VAULT_SESSION is not a valid session token')
  const sessionId = match[1]
  const key = fromB64(match[2], 32)
  if (!key || !fromB64(sessionId, 16)) throw noSession('CODEX_VAULT_SESSION is not a valid session token')
  try {
    const path = join(sessionDir(env, vaultId), sessionId)
    const file = readSessionFile(path, vaultId, sessionId)
    if (file === 'missing') throw noSession('the session has ended (locked, expired or belongs to another vault)')
    if (file === 'damaged') throw sessionDamaged(env, vaultId, 'not a session file of this vault')
    if (now.getTime() >= Date.parse(file.expiresAt)) {
      removeSessionFile(env, vaultId, sessionId)
      throw noSession('the session has expired')
    }
    const nonce = fromB64(file.nonce, NONCE_BYTES)
    const ct = fromB64(file.ct)
    if (!nonce || !ct) throw sessionDamaged(env, vaultId, 'its wrapped key is not readable')
    // Token and file no longer fit together: an edited token, or an edited file; no way to tell which.
    const dek = aeadDecrypt(key, nonce, ct, sessionAd(file), {code: 'NO_SESSION', message: 'the session token does not match its session file (edited token or edited file)',
      suggestions: ['run `eval "$(codex-vault unlock)"` to start a new session']}, true)
    return {sessionId, expiresAt: file.expiresAt, dek, ...(file.scope ? {scope: file.scope} : {})}
  } finally {
    wipe(key)
  }
}

/**
 * The scope a token's session file claims, read without the key (so unauthenticated): enough to
 * keep a run-only session's holder from owner-only recovery steps, not a security boundary.
 */
export function claimedSessionScope(env: NodeJS.ProcessEnv, token: string, vaultId: string): SessionScope | undefined {
  const sessionId = sessionIdOfToken(token)
  if (!sessionId) return undefined
  const file = readSessionFile(join(sessionDir(env, vaultId), sessionId), vaultId, sessionId)
  return typeof file === 'object' ? file.scope : undefined
}

/**
 * Delete the files of sessions that have expired, or that the vault records as ended, so no
 * file outlives its session (unlock and lock call this). Files we cannot read as session files
 * are left alone: lock removes one by its token.
 */
export function pruneSessionFiles(env: NodeJS.ProcessEnv, vaultId: string, now: Date, ended: ReadonlySet<string> = new Set()): number {
  const dir = sessionDir(env, vaultId)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return 0
  }
  let removed = 0
  for (const name of names) {
    if (!SESSION_ID_PATTERN.test(name)) continue // temp files of a writer at work, anything else
    const file = readSessionFile(join(dir, name), vaultId, name)
    if (typeof file !== 'object') continue
    if (ended.has(name) || now.getTime() >= Date.parse(file.expiresAt)) {
      removeSessionFile(env, vaultId, name)
      removed++
    }
  }
  return removed
}

export function sessionIdOfToken(token: string | undefined): string | undefined {
  return token ? TOKEN_PATTERN.exec(token.trim())?.[1] : undefined
}

export function removeSessionFile(env: NodeJS.ProcessEnv, vaultId: string, sessionId: string): void {
  try {
    unlinkSync(join(sessionDir(env, vaultId), sessionId))
  } catch { /* already gone */ }
}

export function removeAllSessionFiles(env: NodeJS.ProcessEnv, vaultId: string): number {
  const dir = sessionDir(env, vaultId)
  let count = 0
  try {
    count = readdirSync(dir).length
  } catch {
    return 0
  }
  rmSync(dir, {recursive: true, force: true})
  return count
}
