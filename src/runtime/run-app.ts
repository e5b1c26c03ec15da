/**
 * `run`: the product's main job. Boot has happened; here: authorize -> (approve on a terminal) ->
 * record the allow (fsync) -> decrypt exactly the granted keys -> spawn without a shell, masked ->
 * record the exit. A denial or a failed audit write means the child never starts.
 */
import {basename} from 'node:path'

import type {AuditEvent} from '../audit/events.js'
import {runsDirFor} from '../auth/paths.js'
import {RUN_ONLY_SESSION} from '../auth/session-scope.js'
import type {AuthenticatedVault} from '../cli/context.js'
import {VaultError} from '../cli/errors.js'
import {parseConcreteCapability} from '../permissions/capability.js'
import {approveGrant} from '../permissions/grants.js'
import {boundCapabilities} from '../registry/assets.js'
import {wipe} from '../secrets/crypto.js'
import {decryptSecret} from '../secrets/secret-crypto.js'
import {type Denial, type RunDecision, authorizeRun} from './authorize.js'
import {type ChildOutcome, disableCoreDumps, runChild} from './child.js'
import {writeCredentialFile} from './credential-file.js'
import {buildChildEnv, validateInjectedEnvName} from './env.js'
import {STOP_GRACE_MS, type GrantWatch, watchGrants} from './grant-watch.js'
import {registerRun} from './live-runs.js'
import {type LiveRefusal, liveRefusal} from './mediation-check.js'
import {type MediatedProvider, planMediation, refuseUnmediatable} from './mediation-plan.js'
import type {Mediator} from './mediator.js'
import {exemptMediatorFromProxies} from './proxy-env.js'
import {resolveCommand} from './resolve-command.js'
import {type MediationSummary, mediationAudit, mediationSummary, startMediation} from './run-mediation.js'

export interface RunRequest {
  asset: string
  capabilities?: string[]
  command: string
  args: string[]
  mask: boolean
  cleanEnv: boolean
  /** hold the keys in a loopback proxy; the child gets placeholders and base URLs (mediator.ts) */
  mediate?: boolean
  /** end the child once its grants stop holding: expiry, revocation, a disabled asset, a killed provider (grant-watch.ts) */
  whileGranted?: boolean
  parentEnv: NodeJS.ProcessEnv
  /** may be a getter: it is read only when the child cannot simply inherit `stdinFd` */
  stdin: NodeJS.ReadStream
  /** set when `stdin` is this process's own fd 0 (see RunChildOptions.stdinFd) */
  stdinFd?: number
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  now: () => Date
  warn: (message: string) => void
  /** on a terminal: ask the owner about a missing grant; returns a TTL in ms, or null for no */
  approve?: (denial: Denial) => Promise<number | null>
}

export interface DryRunPlan {
  asset: string
  allowed: boolean
  inject: {env: string; capability: string; provider: string; grant: string; expires: string; usesLeft: number | null; fingerprint: string}[]
  denials: Denial[]
  /** with --mediate: the providers whose keys stay with codex-vault, and where their SDKs are pointed */
  mediated?: MediationSummary[]
}

const CI_RUN_VARS = ['GITHUB_RUN_ID', 'CI_PIPELINE_ID', 'CI_JOB_ID', 'BUILDKITE_BUILD_ID', 'CIRCLE_WORKFLOW_ID', 'BUILD_ID']

export function planOf(decision: RunDecision): DryRunPlan {
  return {
    asset: decision.asset,
    allowed: decision.denials.length === 0,
    inject: decision.allowed.flatMap((item) => item.inject.map((entry) => ({
      env: entry.env, capability: item.capability, provider: item.provider, grant: item.grant.id, expires: item.grant.expires, usesLeft: item.grant.usesLeft, fingerprint: entry.fingerprint,
    }))),
    denials: decision.denials,
  }
}

function denialError(decision: RunDecision, runOnly: boolean): VaultError {
  const reasons = decision.denials.map((denial) => denial.reason).join('; ')
  const fixes = [...new Set(decision.denials.map((denial) => denial.fix))]
  return new VaultError('POLICY_DENY', `run denied for asset ${decision.asset}: ${reasons}`, {
    // an agent holding a run-only session reads these too: say that they are the owner's to run
    suggestions: runOnly ? fixes.map((fix) => `${fix}   (for the vault's owner, in their own shell: this is ${RUN_ONLY_SESSION})`) : fixes,
    details: {denials: decision.denials},
  })
}

/** A run-only session (unlock --run-only): what a coding agent holds. See session-scope.ts. */
function isRunOnly(vault: AuthenticatedVault): boolean {
  return vault.via.kind === 'session' && vault.via.scope === 'run'
}

async function decide(vault: AuthenticatedVault, request: RunRequest): Promise<RunDecision> {
  const catalog = await vault.catalog()
  let decision = authorizeRun(vault.body, catalog, {asset: request.asset, capabilities: request.capabilities, now: request.now()})
  const askable = decision.denials.filter((denial) => denial.code === 'no-grant' || denial.code === 'provider-killed')
  // an exported (CI) vault's grants are fixed at export, and a run-only session (an agent, which
  // could answer the prompt itself) may not approve: no approving at the run prompt for either
  if (request.approve && vault.body.ciExport === undefined && !isRunOnly(vault) && askable.length > 0 && askable.length === decision.denials.length) {
    for (const denial of askable) {
      const ttlMs = await request.approve(denial)
      if (ttlMs === null) return decision
      await approveGrant(vault, {asset: request.asset, capability: denial.capability, ttlMs, reason: 'approved at the run prompt', now: request.now()})
    }
    decision = authorizeRun(vault.body, catalog, {asset: request.asset, capabilities: request.capabilities, now: request.now()})
  }
  return decision
}

/** A malformed or wildcard --capability is a usage error (exit 2), refused before anything is decided or recorded. */
function checkCapabilities(capabilities: string[] | undefined): void {
  for (const capability of capabilities ?? []) parseConcreteCapability(capability)
}

/** --mediate with a provider that has no base-URL variable: exit 2 before anything is decided or recorded (README, run --mediate). */
async function checkMediatable(vault: AuthenticatedVault, request: Pick<RunRequest, 'asset' | 'capabilities' | 'mediate'>): Promise<void> {
  if (!request.mediate) return
  const asset = vault.body.assets.find((candidate) => candidate.name === request.asset)
  const requested = request.capabilities && request.capabilities.length > 0 ? request.capabilities : asset ? boundCapabilities(asset) : []
  refuseUnmediatable(requested, await vault.catalog())
}

/** Every env name the decision would inject must be one run may set (env.ts). */
function checkInjectedNames(decision: RunDecision): void {
  for (const item of decision.allowed) for (const entry of item.inject) validateInjectedEnvName(entry.env)
}

export async function dryRun(vault: AuthenticatedVault, request: Pick<RunRequest, 'asset' | 'capabilities' | 'now' | 'mediate'>): Promise<DryRunPlan> {
  checkCapabilities(request.capabilities)
  await checkMediatable(vault, request)
  const catalog = await vault.catalog()
  const decision = authorizeRun(vault.body, catalog, {asset: request.asset, capabilities: request.capabilities, now: request.now()})
  checkInjectedNames(decision) // the same refusal the real run gives (a name stored before secret set checked it)
  const plan = planOf(decision)
  if (request.mediate && plan.allowed) plan.mediated = mediationSummary(planMediation(decision, catalog))
  return plan
}

/**
 * --while-granted: re-checks the run's grants once a second; on the first refusal records a
 * run.stop (the decision, before its effect), says why on stderr, and ends the child: SIGTERM,
 * then SIGKILL after STOP_GRACE_MS unless it has exited by then.
 */
function watchWhileGranted(vault: AuthenticatedVault, request: RunRequest, allowed: RunDecision, refusal: LiveRefusal, pid: number, group: boolean, stop: {reason?: string; killTimer?: NodeJS.Timeout}): GrantWatch {
  const queries = allowed.allowed.map((item) => ({asset: request.asset, provider: item.provider, grants: [item.grant.id]}))
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(group ? -pid : pid, name)
    } catch {}
  }
  return watchGrants({
    check: async () => {
      for (const query of queries) {
        const reason = await refusal(query)
        if (reason !== null) return reason
      }
      return null
    },
    onRefusal: async (reason) => {
      const command = basename(request.command)
      stop.reason = reason
      await recordOrWarn(vault, request, {type: 'run.stop', outcome: 'deny', reason, data: {command, pid, graceMs: STOP_GRACE_MS}})
      request.warn(`stopping ${command} (--while-granted): ${reason}`)
      signal('SIGTERM')
      stop.killTimer = setTimeout(() => signal('SIGKILL'), STOP_GRACE_MS)
      stop.killTimer.unref()
    },
  })
}

/** The effect already happened (or is a refusal): a failed record is reported, not turned into a different exit code. */
async function recordOrWarn(vault: AuthenticatedVault, request: RunRequest, event: Omit<AuditEvent, 'asset'>): Promise<void> {
  try {
    await vault.recordDenial({...event, asset: request.asset})
  } catch (error) {
    request.warn(`could not record ${event.type} in the audit log: ${(error as Error).message}`)
  }
}

/** Returns the exit code to leave with: the child's, or 128+N for signal N. */
export async function runApp(vault: AuthenticatedVault, request: RunRequest): Promise<{outcome: ChildOutcome; plan: DryRunPlan}> {
  checkCapabilities(request.capabilities)
  await checkMediatable(vault, request)
  const commandName = basename(request.command)
  if (isRunOnly(vault) && !request.mask && !request.mediate) {
    // unmasked output is how an agent would read the key: the one reveal a run-only session must not have
    const reason = `--no-mask is not allowed with ${RUN_ONLY_SESSION}: unmasked output would show the key`
    await vault.recordDenial({type: 'run.deny', outcome: 'deny', asset: request.asset, reason, data: {command: commandName}})
    throw new VaultError('POLICY_DENY', `run denied for asset ${request.asset}: ${reason}`, {
      suggestions: ['run it masked (without --no-mask), or with --mediate so that the key never enters the child'],
    })
  }
  const decision = await decide(vault, request)
  if (decision.denials.length > 0) {
    await vault.recordDenial({type: 'run.deny', outcome: 'deny', asset: request.asset, reason: decision.denials.map((d) => d.reason).join('; '),
      data: {capabilities: decision.requested, command: commandName}})
    throw denialError(decision, isRunOnly(vault))
  }
  checkInjectedNames(decision)
  // a missing command must not consume a grant use or leave an allow record for a run that never was
  resolveCommand(request.command, {PATH: request.parentEnv.PATH ?? ''})
  const catalog = await vault.catalog()
  // before the allow record: a run that asked for mediation never gets a real key instead
  if (request.mediate) planMediation(decision, catalog)
  const coreDumpsOff = disableCoreDumps() // overlaps the allow record's fsyncs; awaited before any decrypt
  let mediation: MediatedProvider[] | undefined
  // Re-decide on the fresh body under the lock, consume uses, and record the allow before anything starts.
  const allowed = await vault.transact((body) => {
    const fresh = authorizeRun(body, catalog, {asset: request.asset, capabilities: request.capabilities, now: request.now()})
    if (fresh.denials.length > 0) {
      return {result: fresh, events: [{type: 'run.deny', outcome: 'deny' as const, asset: request.asset, reason: fresh.denials.map((d) => d.reason).join('; '), data: {capabilities: fresh.requested, command: commandName}}]}
    }
    // planned from the fresh decision; a refusal here aborts the transaction: nothing is recorded
    if (request.mediate) mediation = planMediation(fresh, catalog)
    const now = request.now().toISOString()
    for (const item of fresh.allowed) {
      const grant = body.grants.find((candidate) => candidate.id === item.grant.id)!
      if (grant.usesLeft !== null) grant.usesLeft -= 1
      for (const entry of item.inject) {
        const record = body.secrets.find((candidate) => candidate.id === entry.secretId)!
        record.lastInjected = now
      }
    }
    const ci = CI_RUN_VARS.find((name) => request.parentEnv[name])
    return {result: fresh, events: [{type: 'run.allow', outcome: 'allow' as const, asset: request.asset, data: {
      capabilities: fresh.allowed.map((item) => item.capability), grants: fresh.allowed.map((item) => item.grant.id),
      secrets: fresh.allowed.flatMap((item) => item.inject.map((entry) => `${entry.env}:${entry.fingerprint}`)),
      command: commandName, pid: process.pid, ...(ci ? {ciRun: `${ci}=${request.parentEnv[ci]}`} : {}), masked: request.mask,
      ...(request.mediate ? {mediated: true} : {}),
    }}]}
  })
  await coreDumpsOff
  if (allowed.denials.length > 0) throw denialError(allowed, isRunOnly(vault))

  // one re-checker of the vault for the whole run, from the body the allow wrote: the mediator asks
  // it before each request and --while-granted once a second, and a changed file is read once
  const refusal = liveRefusal(vault, request.now)
  let inject: Record<string, string> = {}
  const mask: {env: string; value: string}[] = []
  const cleanups: (() => void)[] = []
  const values = new Map<string, string>()
  let mediator: Mediator | undefined
  try {
    for (const item of allowed.allowed) {
      for (const entry of item.inject) {
        const record = vault.body.secrets.find((candidate) => candidate.id === entry.secretId)!
        const value = decryptSecret(vault.header.vaultId, vault.keys, record)
        const text = value.toString('utf8')
        wipe(value)
        values.set(entry.secretId, text)
        if (entry.credentialFile) {
          const file = writeCredentialFile(text)
          cleanups.push(file.cleanup)
          inject[entry.env] = file.path
        } else inject[entry.env] = text
        if (text.length < 8 && !request.mediate) request.warn(`${entry.env} is shorter than 8 characters; masking it would hide ordinary output, so check logs by hand`)
        mask.push({env: entry.env, value: text})
      }
    }
    if (mediation) {
      let started
      try {
        // named one by one: spreading the request would read its stdin getter, creating process.stdin
        started = await startMediation(vault, mediation, values, {
          asset: request.asset, command: commandName, parentEnv: request.parentEnv, cleanEnv: request.cleanEnv, warn: request.warn, refusal,
          record: (event) => recordOrWarn(vault, request, event),
          recordOrRefuse: (event) => vault.recordDenial({...event, asset: request.asset}),
        })
      } catch (error) {
        await recordOrWarn(vault, request, {type: 'run.error', outcome: 'error', reason: `mediation did not start: ${(error as Error).message}`, data: {command: commandName}})
        throw error
      }
      mediator = started.mediator
      inject = started.inject
      cleanups.push(() => void mediator?.close())
    }
    const built = buildChildEnv({parent: request.parentEnv, inject, clean: request.cleanEnv})
    const env = mediator ? exemptMediatorFromProxies(built) : built
    const live = registerRun(runsDirFor(vault.path), {
      asset: request.asset, providers: allowed.allowed.map((item) => item.provider), capabilities: allowed.allowed.map((item) => item.capability),
      command: commandName, mode: mediator ? 'mediated' : request.mask ? 'masked' : 'unmasked',
    })
    let outcome: ChildOutcome
    const stop: {watch?: GrantWatch; reason?: string; killTimer?: NodeJS.Timeout} = {}
    try {
      outcome = await runChild({
        command: request.command, args: request.args, env, mask: request.mask && !mediator ? mask.filter((m) => m.value.length >= 4) : null,
        get stdin() { return request.stdin }, stdinFd: request.stdinFd, stdout: request.stdout, stderr: request.stderr,
        onSpawn: (pid, group) => {
          live.setChild(pid, group)
          if (request.whileGranted) stop.watch = watchWhileGranted(vault, request, allowed, refusal, pid, group, stop)
        },
      })
    } catch (error) {
      await recordOrWarn(vault, request, {type: 'run.error', outcome: 'error', reason: (error as Error).message, data: {command: commandName}})
      throw error
    } finally {
      stop.watch?.stop()
      clearTimeout(stop.killTimer)
      // the kill switch leaves a note before it signals: the exit record then says who ended the run
      stop.reason ??= live.stopReason()
      live.remove()
    }
    await recordOrWarn(vault, request, {type: 'run.exit', outcome: 'ok', data: {
      command: commandName, exitCode: outcome.exitCode, signal: outcome.signal, durationMs: Math.round(outcome.durationMs), pty: outcome.pty,
      ...(mediator ? mediationAudit(mediator) : {}), ...(stop.reason ? {stoppedBecause: stop.reason} : {}),
    }})
    return {outcome, plan: planOf(allowed)}
  } finally {
    for (const cleanup of cleanups) cleanup()
  }
}
