/**
 * Sessions (`unlock`): the token `cvs1.<id>.<key>` lives only in the user's environment; the data
 * key wrapped under the token's key sits in a 0600 file whose expiry and scope are bound as
 * associated data, so editing either breaks decryption. Revocation is recorded in the vault body.
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

function readSmallFile(path: string): Buffer | null {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch {
    return null
  }
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile() || stat.size > MAX_SESSION_FILE) return null
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

/** Every way a token can be bad ends in the same exit code 7; messages differ only where it helps. */
export function openSession(env: NodeJS.ProcessEnv, token: string, vaultId: string, now: Date): OpenedSession {
  const match = TOKEN_PATTERN.exec(token.trim())
  if (!match) throw noSession('CODEX_VAULT_SESSION is not a valid session token')
  const sessionId = match[1]
  const key = fromB64(match[2], 32)
  if (!key || !fromB64(sessionId, 16)) throw noSession('CODEX_VAULT_SESSION is not a valid session token')
  try {
    const raw = readSmallFile(join(sessionDir(env, vaultId), sessionId))
    if (!raw) throw noSession('the session has ended (locked, expired or belongs to another vault)')
    let json: unknown
    try {
      json = JSON.parse(raw.toString('utf8'))
    } catch {
      json = undefined
    }
    const file = sessionFileSchema.safeParse(json)
    if (!file.success || file.data.vaultId !== vaultId || file.data.sessionId !== sessionId) throw noSession('the session file is damaged')
    const nonce = fromB64(file.data.nonce, NONCE_BYTES)
    const ct = fromB64(file.data.ct)
    if (!nonce || !ct) throw noSession('the session file is damaged')
    const dek = aeadDecrypt(key, nonce, ct, sessionAd(file.data), {code: 'NO_SESSION', message: 'the session token does not match its session file (edited or foreign token)',
      suggestions: ['run `eval "$(codex-vault unlock)"` to start a new session']}, true)
    if (now.getTime() >= Date.parse(file.data.expiresAt)) {
      wipe(dek)
      throw noSession('the session has expired')
    }
    return {sessionId, expiresAt: file.data.expiresAt, dek, ...(file.data.scope ? {scope: file.data.scope} : {})}
  } finally {
    wipe(key)
  }
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
