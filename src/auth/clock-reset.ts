/**
 * `unlock --reset-clock`: the way back from a vault that once saw a wrong future time. Every
 * command refuses while the clock is behind the vault's last-seen time (CLOCK_SKEW, exit 6), so a
 * single run with the clock a year ahead would lock the owner out for a year. The owner, with the
 * passphrase (never a session), moves last-seen back to now; the audit log keeps both times.
 * Sessions started under the wrong clock end with it. Grants approved then start in the future
 * (notBefore), so they deny until then: safe, and the owner can approve again.
 */
import type {AuthenticatedVault} from '../cli/context.js'
import {VaultError} from '../cli/errors.js'
import {removeSessionFile} from './session.js'

export interface ClockReset {
  /** the vault's last-seen time before the reset */
  previous: string
  /** now, as the vault records it from here on */
  lastSeen: string
  /** sessions started under the wrong clock (created after now): ended, since their expiry is as wrong */
  sessionsEnded: number
}

export async function resetVaultClock(vault: AuthenticatedVault, env: NodeJS.ProcessEnv): Promise<ClockReset> {
  if (vault.via.kind !== 'passphrase') {
    throw new VaultError('POLICY_DENY', 'unlock --reset-clock needs the passphrase; a session or a ci key cannot reset the clock', {
      suggestions: ['run it with the passphrase: --passphrase-stdin, CODEX_VAULT_PASSPHRASE or the prompt on a terminal'],
    })
  }
  const ended: string[] = []
  const reset = await vault.transact((body, now) => {
    // A session unlocked while the clock ran a year ahead would otherwise last a year from now.
    for (const session of body.sessions) {
      if (!session.revoked && Date.parse(session.created) > now.getTime()) {
        session.revoked = true
        ended.push(session.id)
      }
    }
    const result: ClockReset = {previous: body.lastSeen, lastSeen: now.toISOString(), sessionsEnded: ended.length}
    return {result, events: [{type: 'clock.reset', outcome: 'ok', data: {...result}}]}
  }, {resetClock: true})
  for (const id of ended) removeSessionFile(env, vault.header.vaultId, id)
  return reset
}
