/** `status`, shared by the oclif command and the lean path: what could be checked, step by step. */
import {runsDirFor} from '../auth/paths.js'
import {headerStatus, unlockedStatus, type VaultStatus} from '../auth/status.js'
import {type LiveRun, listLiveRuns} from '../runtime/live-runs.js'
import {type AuthenticatedVault, type CommandEnv, bootVault, readHeader} from './context.js'
import {VaultError} from './errors.js'

export interface StatusOutcome {
  status: VaultStatus
  /** set when a boot step failed: the command prints the status, then fails with this error's code */
  error?: VaultError
  vault?: AuthenticatedVault
}

export async function collectStatus(env: CommandEnv): Promise<StatusOutcome> {
  const base = headerStatus(env.vaultPath, readHeader(env.vaultPath))
  const canAuthenticate = Boolean(env.env.CODEX_VAULT_SESSION || env.env.CODEX_VAULT_KEY || env.env.CODEX_VAULT_PASSPHRASE || env.fromStdin || env.stdin.isTTY)
  if (!canAuthenticate) {
    return {
      status: {...base, steps: [...base.steps, {step: 'authentication', ok: false, detail: 'locked: no session and no passphrase source'}]},
      error: new VaultError('NO_SESSION', 'the vault is locked', {suggestions: ['run `eval "$(codex-vault unlock)"` to start a session']}),
    }
  }
  try {
    const vault = await bootVault(env, 'status')
    return {status: unlockedStatus(base, vault, env.now(), liveRunsOrUndefined(vault.path)), vault}
  } catch (error) {
    if (!(error instanceof VaultError)) throw error
    return {status: {...base, steps: [...base.steps, {step: 'authentication / integrity / health', ok: false, detail: `${error.code}: ${error.message}`}]}, error}
  }
}

/** An unreadable live-run folder leaves them out of status rather than failing it; `kill` reports that error. */
function liveRunsOrUndefined(vaultPath: string): LiveRun[] | undefined {
  try {
    return listLiveRuns(runsDirFor(vaultPath))
  } catch {
    return undefined
  }
}

/** The failure to raise after printing: the boot step's own code, with the status in --json details. */
export function statusFailure(outcome: StatusOutcome): VaultError {
  const error = outcome.error!
  return new VaultError(error.code, error.message, {suggestions: error.suggestions, details: {status: outcome.status}})
}
