/**
 * A lean path for `run`, whose startup every app launch pays: the same boot sequence and domain
 * code as the oclif command, without loading oclif and its command machinery. bin/lean.js runs it
 * as its own bundle (scripts/bundle.mjs). It understands only the everyday flags; anything else
 * (--help, --dry-run, an unknown flag) returns null so that bin/run.js hands the call to oclif.
 */
import {isatty} from 'node:tty'

import {defaultVaultPath} from '../auth/paths.js'
import {runApp} from '../runtime/run-app.js'
import {approvalPrompt} from './approval-prompt.js'
import {bootVault, type CommandEnv} from './context.js'
import {parseDuration} from './duration.js'
import {hideKeyLike} from './key-like.js'
import {exitCodeOf, errorText} from './render-error.js'

export interface LeanRunArgs {
  asset: string
  capabilities: string[]
  mask: boolean
  cleanEnv: boolean
  mediate: boolean
  whileGranted: boolean
  vault?: string
  lockTimeout: string
  passphraseStdin: boolean
  command: string
  args: string[]
}

const VALUE_FLAGS = new Set(['--asset', '--capability', '--vault', '--lock-timeout'])

export function parseLeanRunArgv(argv: string[]): LeanRunArgs | null {
  const parsed: Partial<LeanRunArgs> & {capabilities: string[]} = {capabilities: [], mask: true, cleanEnv: false, mediate: false, whileGranted: false, lockTimeout: '30s', passphraseStdin: false}
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
    // an agent's everyday flag: without it here, a mediated run would pay oclif's start (~4x)
    else if (inline === undefined && arg === '--mediate') parsed.mediate = true
    else if (inline === undefined && arg === '--while-granted') parsed.whileGranted = true
    else if (inline === undefined && arg === '--passphrase-stdin') parsed.passphraseStdin = true
    else return null
  }
  return null
}

let childRan = false

/**
 * Whether this process went the whole way (boot, allow, spawn, exit record): only then does its
 * V8 code cache (bin/lean.js) hold what every later run compiles. A cache saved by a first run that
 * was denied would lack the spawn and masking code, and every run after it would compile that
 * code again (about 5 ms here), for as long as the install lives.
 */
export function cacheWorthy(): boolean {
  return childRan
}

/** `run ARGS` (argv after `run`): the exit code, or null when the call is not one the lean path understands. */
export async function leanRun(argv: string[]): Promise<number | null> {
  const parsed = parseLeanRunArgv(argv)
  if (!parsed) return null
  const warn = (message: string) => process.stderr.write(hideKeyLike(`codex-vault: warning: ${message}\n`))
  let vault
  try {
    // process.stdin is read through getters: creating it costs ~3 ms, and a run with a session
    // whose child inherits fd 0 never needs it
    const env: CommandEnv = {
      vaultPath: parsed.vault || process.env.CODEX_VAULT_FILE || defaultVaultPath(process.env),
      lockTimeoutMs: parseDuration(parsed.lockTimeout, '--lock-timeout'),
      env: process.env, fromStdin: parsed.passphraseStdin, get stdin() { return process.stdin }, stderr: process.stderr, now: () => new Date(), warn,
    }
    vault = await bootVault(env, 'run')
    const {outcome} = await runApp(vault, {
      asset: parsed.asset, capabilities: parsed.capabilities, command: parsed.command, args: parsed.args, mask: parsed.mask, cleanEnv: parsed.cleanEnv, mediate: parsed.mediate, whileGranted: parsed.whileGranted,
      parentEnv: process.env, get stdin() { return process.stdin }, stdinFd: 0, stdout: process.stdout, stderr: process.stderr, now: () => new Date(), warn,
      approve: isatty(0) && process.stderr.isTTY ? approvalPrompt(parsed.asset, process.stdin, process.stderr) : undefined,
    })
    childRan = true
    return outcome.exitCode
  } catch (error) {
    process.stderr.write(errorText(error as Error))
    return exitCodeOf(error as Error)
  } finally {
    vault?.close()
  }
}
