/**
 * A lean path for `run` (whose startup every app launch pays) and `status`: the same boot sequence
 * and domain code as the oclif commands, without loading oclif and its command machinery. It
 * understands only the everyday flags; anything else (--help, --dry-run, an unknown flag) returns
 * null so that bin/run.js hands the call to oclif unchanged.
 */
// first: zod reads its jitless setting when schemas are built, at module load
import '../secrets/zod-config.js'
import {defaultVaultPath} from '../auth/paths.js'
import {runApp} from '../runtime/run-app.js'
import {approvalPrompt, canPrompt} from './approval-prompt.js'
import {bootVault, type CommandEnv} from './context.js'
import {parseDuration} from './duration.js'
import {leanStatus} from './lean-status.js'
import {exitCodeOf, errorText} from './render-error.js'

export interface LeanRunArgs {
  asset: string
  capabilities: string[]
  mask: boolean
  cleanEnv: boolean
  vault?: string
  lockTimeout: string
  passphraseStdin: boolean
  command: string
  args: string[]
}

const VALUE_FLAGS = new Set(['--asset', '--capability', '--vault', '--lock-timeout'])

export function parseLeanRunArgv(argv: string[]): LeanRunArgs | null {
  const parsed: Partial<LeanRunArgs> & {capabilities: string[]} = {capabilities: [], mask: true, cleanEnv: false, lockTimeout: '30s', passphraseStdin: false}
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]
    if (arg === '--') {
      const [command, ...args] = argv.slice(index + 1)
      if (!command || !parsed.asset) return null
      return {...parsed, command, args} as LeanRunArgs
    }
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++index]
      if (value === undefined || value === '' || value.startsWith('--')) return null
      if (name === '--asset') parsed.asset = value
      else if (name === '--capability') parsed.capabilities.push(value)
      else if (name === '--vault') parsed.vault = value
      else parsed.lockTimeout = value
    } else if (inline === undefined && arg === '--no-mask') parsed.mask = false
    else if (inline === undefined && arg === '--mask') parsed.mask = true
    else if (inline === undefined && arg === '--clean-env') parsed.cleanEnv = true
    else if (inline === undefined && arg === '--passphrase-stdin') parsed.passphraseStdin = true
    else return null
  }
  return null
}

/** Returns the exit code, or null when the call is not one the lean path understands. */
export async function leanRun(argv: string[]): Promise<number | null> {
  const parsed = parseLeanRunArgv(argv)
  if (!parsed) return null
  const warn = (message: string) => process.stderr.write(`codex-vault: warning: ${message}\n`)
  let vault
  try {
    const env: CommandEnv = {
      vaultPath: parsed.vault || process.env.CODEX_VAULT_FILE || defaultVaultPath(process.env),
      lockTimeoutMs: parseDuration(parsed.lockTimeout, '--lock-timeout'),
      env: process.env, fromStdin: parsed.passphraseStdin, stdin: process.stdin, stderr: process.stderr, now: () => new Date(), warn,
    }
    vault = await bootVault(env, 'run')
    const {outcome} = await runApp(vault, {
      asset: parsed.asset, capabilities: parsed.capabilities, command: parsed.command, args: parsed.args, mask: parsed.mask, cleanEnv: parsed.cleanEnv,
      parentEnv: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, now: () => new Date(), warn,
      approve: canPrompt(process.stdin, process.stderr) ? approvalPrompt(parsed.asset, process.stdin, process.stderr) : undefined,
    })
    return outcome.exitCode
  } catch (error) {
    process.stderr.write(errorText(error as Error))
    return exitCodeOf(error as Error)
  } finally {
    vault?.close()
  }
}

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

export async function leanMain(argv: string[]): Promise<number | null> {
  if (argv[0] === 'run') return leanRun(argv.slice(1))
  if (argv[0] !== 'status') return null
  const parsed = parseLeanStatusArgv(argv.slice(1))
  if (!parsed) return null
  const warnings: string[] = []
  const warn = (message: string) => {
    if (parsed.json) warnings.push(message)
    else process.stderr.write(`codex-vault: warning: ${message}\n`)
  }
  let lockTimeoutMs: number
  try {
    lockTimeoutMs = parseDuration(parsed.lockTimeout, '--lock-timeout')
  } catch {
    return null
  }
  return leanStatus({
    vaultPath: parsed.vault || process.env.CODEX_VAULT_FILE || defaultVaultPath(process.env), lockTimeoutMs,
    env: process.env, fromStdin: parsed.passphraseStdin, stdin: process.stdin, stderr: process.stderr, now: () => new Date(), warn,
  }, parsed.json, warnings)
}
