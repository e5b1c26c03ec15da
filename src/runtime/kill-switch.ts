/**
 * The kill switch, without a daemon: revoke the matching grants, disable the asset or provider
 * (recorded first, like every decision), then stop the live runs that recorded themselves.
 */
import {runsDirFor} from '../auth/paths.js'
import {removeAllSessionFiles} from '../auth/session.js'
import type {AuthenticatedVault} from '../cli/context.js'
import {usageError} from '../cli/errors.js'
import {capabilityMatches} from '../permissions/capability.js'
import {isLive, revokeMatching} from '../permissions/grants.js'
import {requireAsset} from '../registry/assets.js'
import {terminateRuns, type LiveRun} from './live-runs.js'

export interface KillOptions {
  asset?: string
  provider?: string
  all: boolean
  reason?: string
  env: NodeJS.ProcessEnv
  now: Date
  graceMs?: number
}

export interface KillResult {
  target: string
  grantsRevoked: string[]
  sessionsEnded: number
  runsStopped: {runId: string; asset: string; pid: number}[]
}

export async function killSwitch(vault: AuthenticatedVault, options: KillOptions): Promise<KillResult> {
  const targets = [options.asset, options.provider, options.all ? 'all' : undefined].filter(Boolean)
  if (targets.length !== 1) {
    throw usageError('kill needs exactly one of --asset X, --provider P or --all', ['codex-vault kill --asset shop --reason "key leaked in a log"', 'see what is live: codex-vault status'])
  }
  if (options.asset) requireAsset(vault.body, options.asset)
  const catalog = await vault.catalog()
  if (options.provider) catalog.require(options.provider)
  const target = options.all ? 'all' : options.asset ? `asset ${options.asset}` : `provider ${options.provider}`
  const now = options.now.toISOString()
  const reason = options.reason ?? 'kill switch'
  const {grantsRevoked, sessionsEnded} = await vault.transact((body) => {
    let grants: string[] = []
    let sessions = 0
    if (options.asset) {
      grants = revokeMatching(body, {asset: options.asset, reason, now: options.now})
      const asset = body.assets.find((candidate) => candidate.name === options.asset)!
      asset.enabled = false
      asset.disabledReason = reason
      asset.updated = now
    } else if (options.provider) {
      const provider = catalog.require(options.provider)
      for (const grant of body.grants) {
        if (!isLive(grant, options.now) || !provider.capabilities.some((capability) => capabilityMatches(grant.capability, capability))) continue
        grant.revoked = now
        grant.revokedReason = reason
        grants.push(grant.id)
      }
      if (!body.killedProviders.some((entry) => entry.provider === provider.id)) body.killedProviders.push({provider: provider.id, at: now, reason})
    } else {
      grants = revokeMatching(body, {reason, now: options.now})
      for (const session of body.sessions) {
        if (!session.revoked) sessions++
        session.revoked = true
      }
    }
    return {result: {grantsRevoked: grants, sessionsEnded: sessions}, events: [{type: 'kill', outcome: 'ok', reason,
      ...(options.asset ? {asset: options.asset} : {}), ...(options.provider ? {provider: options.provider} : {}),
      data: {target, grantsRevoked: grants, sessionsEnded: sessions}}]}
  })
  const match = (run: LiveRun) => options.all || (options.asset ? run.asset === options.asset : run.providers.includes(options.provider!))
  const flag = options.all ? '--all' : options.asset ? `--asset ${options.asset}` : `--provider ${options.provider}`
  // before the runs are stopped: a kill run from inside one of them may not outlive it
  if (options.all) removeAllSessionFiles(options.env, vault.header.vaultId)
  const stopped = await terminateRuns(runsDirFor(vault.path), match, options.graceMs, `kill ${flag}: ${reason}`)
  return {target, grantsRevoked, sessionsEnded, runsStopped: stopped.map((run) => ({runId: run.runId, asset: run.asset, pid: run.wrapperPid}))}
}
