/**
 * A mediated run can still say no after it started: before each request the proxy re-reads the
 * vault and checks that what allowed the run still holds. A revoked grant, a disabled asset, a
 * killed provider, an expired grant or a clock that ran backwards stops the next request, with no
 * need to end the run. Injection cannot take a key back; mediation can.
 */
import {statSync} from 'node:fs'

import type {OpenedVault} from '../secrets/vault-store.js'
import {EncryptedVaultAdapter, checkClock} from '../secrets/vault-store.js'
import type {VaultBody} from '../secrets/vault-schema.js'

export interface StillAllowedQuery {
  asset: string
  provider: string
  /** the grants the run was allowed on (their use was counted when the run started) */
  grants: string[]
  /**
   * Asked with the body just checked, once the grants still hold: a mediated run follows its keys
   * there (mediation-keys.ts). Its answer is the check's answer.
   */
  follow?: (body: VaultBody) => Promise<string | null>
}

/** null when the run's grants still allow the provider, else the reason and the command that fixes it. */
export function refusalNow(body: VaultBody, query: StillAllowedQuery, now: Date): string | null {
  checkClock(body, now)
  const asset = body.assets.find((candidate) => candidate.name === query.asset)
  if (!asset) return `asset ${query.asset} was removed`
  if (!asset.enabled) return `asset ${query.asset} was disabled${asset.disabledReason ? ` (${asset.disabledReason})` : ''}; to allow it again: codex-vault asset enable ${query.asset}`
  if (body.killedProviders.some((entry) => entry.provider === query.provider)) return `provider ${query.provider} was stopped with the kill switch`
  for (const id of query.grants) {
    const grant = body.grants.find((candidate) => candidate.id === id)
    if (!grant) return `grant ${id} no longer exists`
    const approve = `; approve again: codex-vault grant approve --asset ${query.asset} --capability ${grant.capability}`
    if (grant.revoked) return `grant ${id} was revoked${grant.revokedReason ? ` (${grant.revokedReason})` : ''}${approve}`
    if (now.getTime() >= Date.parse(grant.expires)) return `grant ${id} expired at ${grant.expires}${approve}`
  }
  return null
}

/** Every write replaces the vault by rename: a new inode and ctime, which no file API can set back. */
function identity(path: string): string {
  const stat = statSync(path, {bigint: true})
  return `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`
}

/** null while the run's grants still hold for the query's provider, else why not */
export type LiveRefusal = (query: StillAllowedQuery) => Promise<string | null>

/**
 * A checker over the vault file as it is on disk. While the file is the same one (a stat per
 * request) the last authenticated body is checked again at the current time; a changed file is
 * read and authenticated afresh. Anything unreadable or tampered refuses. One checker serves a
 * whole run (the mediator's requests and --while-granted's timer), so the file is read once per change.
 */
export function liveRefusal(vault: OpenedVault, now: () => Date): LiveRefusal {
  let known = {bytes: vault.bytes, body: vault.body}
  let seen: string | undefined
  return async (query) => {
    try {
      const current = identity(vault.path)
      if (current !== seen) {
        const adapter = new EncryptedVaultAdapter(vault.path, vault.keys, vault.header.vaultId, known)
        const body = await adapter.read()
        known = {bytes: adapter.bytes!, body}
        // stat before the read: a write racing the read shows up as a change on the next request
        seen = current
      }
      const body = known.body
      return refusalNow(body, query, now()) ?? (query.follow ? await query.follow(body) : null)
    } catch (error) {
      return `codex-vault could not re-check the vault, so it refuses: ${(error as Error).message}`
    }
  }
}
