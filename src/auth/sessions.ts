/** `unlock` and `lock`: sessions registered in the vault body, key material in session files. */
import type {AuthenticatedVault} from '../cli/context.js'
import type {VaultBody} from '../secrets/vault-schema.js'
import {type SessionScope, createSession, pruneSessionFiles, removeAllSessionFiles, removeSessionFile} from './session.js'

export interface UnlockResult {
  token: string
  sessionId: string
  expiresAt: string
  /** 'run' for a run-only session */
  scope?: SessionScope
}

/** Drop records of sessions that ended more than a day ago so the body does not grow without bound. */
function pruneSessions(body: VaultBody, now: Date): void {
  const horizon = now.getTime() - 86_400_000
  body.sessions = body.sessions.filter((session) => Date.parse(session.expiresAt) > horizon)
}

/** The key files of expired sessions, and of sessions the vault records as ended, are deleted. */
export function pruneEndedSessionFiles(env: NodeJS.ProcessEnv, vault: AuthenticatedVault, now: Date): number {
  const ended = new Set(vault.body.sessions.filter((session) => session.revoked).map((session) => session.id))
  return pruneSessionFiles(env, vault.header.vaultId, now, ended)
}

export async function startSession(vault: AuthenticatedVault, options: {env: NodeJS.ProcessEnv; ttlMs: number; now: Date; scope?: SessionScope}): Promise<UnlockResult> {
  const session = createSession(options.env, vault.header.vaultId, vault.keys.dek, options.ttlMs, options.now, options.scope)
  try {
    await vault.transact((body) => {
      pruneSessions(body, options.now)
      body.sessions.push(session.record)
      return {result: undefined, events: [{type: 'session.unlock', outcome: 'ok', data: {session: session.record.id, expiresAt: session.record.expiresAt, ...(options.scope ? {scope: options.scope} : {})}}]}
    })
  } catch (error) {
    removeSessionFile(options.env, vault.header.vaultId, session.record.id)
    throw error
  }
  pruneEndedSessionFiles(options.env, vault, options.now)
  return {token: session.token, sessionId: session.record.id, expiresAt: session.record.expiresAt, ...(options.scope ? {scope: options.scope} : {})}
}

export interface LockResult {
  ended: number
  all: boolean
}

export async function endSessions(vault: AuthenticatedVault, options: {env: NodeJS.ProcessEnv; all: boolean; sessionId?: string; reason?: string; now: Date}): Promise<LockResult> {
  const ended = await vault.transact((body) => {
    let count = 0
    for (const session of body.sessions) {
      if (session.revoked || (!options.all && session.id !== options.sessionId)) continue
      session.revoked = true
      count++
    }
    return {
      result: count,
      events: [{type: 'session.lock', outcome: 'ok', reason: options.reason, data: {all: options.all, ended: count, ...(options.sessionId && !options.all ? {session: options.sessionId} : {})}}],
    }
  })
  if (options.all) removeAllSessionFiles(options.env, vault.header.vaultId)
  else {
    if (options.sessionId) removeSessionFile(options.env, vault.header.vaultId, options.sessionId)
    pruneEndedSessionFiles(options.env, vault, options.now)
  }
  return {ended, all: options.all}
}

/**
 * `lock` when its own session can no longer open the vault (expired, ended, damaged file): its key
 * file still goes, and so do the files of other expired sessions. No key is needed for either.
 */
export function dropSessionFile(env: NodeJS.ProcessEnv, vaultId: string, sessionId: string, now: Date): void {
  removeSessionFile(env, vaultId, sessionId)
  pruneSessionFiles(env, vaultId, now)
}
