/**
 * `status` without oclif (see lean-run.ts for why), bundled on its own so it loads neither the
 * runtime nor child_process: same flow, same output, same exit codes.
 */
import {defaultVaultPath} from '../auth/paths.js'
import type {CommandEnv} from './context.js'
import {parseDuration} from './duration.js'
import {hideKeyLike} from './key-like.js'
import {errorJson, errorText, exitCodeOf} from './render-error.js'
import {renderStatus} from './render-status.js'
import {collectStatus, statusFailure} from './status-flow.js'

/** `status [--json] [--vault P] [--lock-timeout D] [--passphrase-stdin]`, or null to fall back to oclif. */
export function parseLeanStatusArgv(argv: string[]): {json: boolean; vault?: string; lockTimeout: string; passphraseStdin: boolean} | null {
  const parsed = {json: false, vault: undefined as string | undefined, lockTimeout: '30s', passphraseStdin: false}
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    if (name === '--vault' || name === '--lock-timeout') {
      const value = inline ?? argv[++index]
      if (value === undefined || value === '' || value.startsWith('--')) return null
      if (name === '--vault') parsed.vault = value
      else parsed.lockTimeout = value
    } else if (inline === undefined && arg === '--json') parsed.json = true
    else if (inline === undefined && arg === '--passphrase-stdin') parsed.passphraseStdin = true
    else return null
  }
  return parsed
}

export async function leanStatus(env: CommandEnv, json: boolean, warnings: string[]): Promise<number> {
  try {
    const outcome = await collectStatus(env)
    outcome.vault?.close()
    if (!json) process.stdout.write(`${renderStatus(outcome.status)}\n`)
    if (outcome.error) throw statusFailure(outcome)
    if (json) process.stdout.write(`${JSON.stringify({result: outcome.status, status: 0, warnings}, null, 2)}\n`)
    return 0
  } catch (error) {
    if (json) process.stdout.write(`${JSON.stringify(errorJson(error as Error, warnings), null, 2)}\n`)
    else process.stderr.write(errorText(error as Error))
    return exitCodeOf(error as Error)
  }
}

let reported = false

/** See lean-run.ts: a code cache is worth saving only from a status that got its report out. */
export function cacheWorthy(): boolean {
  return reported
}

/** `status ARGS` (argv after `status`): the exit code, or null to let oclif handle the call. */
export async function leanStatusMain(argv: string[]): Promise<number | null> {
  const parsed = parseLeanStatusArgv(argv)
  if (!parsed) return null
  const warnings: string[] = []
  const warn = (message: string) => {
    if (parsed.json) warnings.push(message)
    else process.stderr.write(hideKeyLike(`codex-vault: warning: ${message}\n`))
  }
  let lockTimeoutMs: number
  try {
    lockTimeoutMs = parseDuration(parsed.lockTimeout, '--lock-timeout')
  } catch {
    return null
  }
  const code = await leanStatus({
    vaultPath: parsed.vault || process.env.CODEX_VAULT_FILE || defaultVaultPath(process.env), lockTimeoutMs,
    env: process.env, fromStdin: parsed.passphraseStdin, stdin: process.stdin, stderr: process.stderr, now: () => new Date(), warn,
  }, parsed.json, warnings)
  reported = code === 0
  return code
}
