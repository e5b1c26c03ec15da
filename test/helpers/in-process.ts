/** Commands run in-process with @oclif/test's runCommand, against one test home's vault. */
import {readFileSync} from 'node:fs'

import {runCommand} from '@oclif/test'

import {parseVaultFile} from '../../src/secrets/vault-header.js'
import {type CliHome, makeHome, randomCanary} from './cli.js'

const VARS = ['CODEX_VAULT_FILE', 'CODEX_VAULT_SESSION', 'CODEX_VAULT_PASSPHRASE', 'CODEX_VAULT_KEY', 'XDG_RUNTIME_DIR', 'XDG_DATA_HOME'] as const

export interface InProcessRun {
  code: number
  stdout: string
  /** what the command printed on stderr, plus an error's message: both are what a user sees */
  stderr: string
  json?: any
}

/** One command with exactly these codex-vault variables; returns the exit code it would have and restores the environment. */
export async function cv(args: string[], home: CliHome, env: {session?: string; passphrase?: string} = {}): Promise<InProcessRun> {
  const saved = Object.fromEntries(VARS.map((name) => [name, process.env[name]]))
  for (const name of VARS) delete process.env[name]
  process.env.CODEX_VAULT_FILE = home.vault
  process.env.XDG_RUNTIME_DIR = home.runtimeDir
  if (env.session !== undefined) process.env.CODEX_VAULT_SESSION = env.session
  if (env.passphrase !== undefined) process.env.CODEX_VAULT_PASSPHRASE = env.passphrase
  try {
    const {error, stdout, stderr} = await runCommand(args, {root: process.cwd()})
    const exit = (error as (Error & {oclif?: {exit?: number}}) | undefined)?.oclif?.exit
    const code = error ? (exit ?? 1) : Number(process.exitCode ?? 0)
    return {code, stdout, stderr: `${stderr}${error ? `\n${error.message}` : ''}`, json: args.includes('--json') ? JSON.parse(stdout) : undefined}
  } finally {
    process.exitCode = undefined
    for (const name of VARS) {
      if (saved[name] === undefined) delete process.env[name]
      else process.env[name] = saved[name]
    }
  }
}

export const generationOf = (home: CliHome) => parseVaultFile(readFileSync(home.vault)).header.generation

/** A new home with a vault (fast KDF) and a session on it, made in-process; throws with the command's stderr on failure. */
export async function homeWithSession(prefix: string): Promise<{home: CliHome; session: string}> {
  const home = makeHome(prefix)
  const passphrase = randomCanary()
  const init = await cv(['init', '--kdf', 'interactive'], home, {passphrase})
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`)
  const unlocked = await cv(['unlock', '--json'], home, {passphrase})
  if (unlocked.code !== 0) throw new Error(`unlock failed: ${unlocked.stderr}`)
  return {home, session: unlocked.json.result.token}
}
