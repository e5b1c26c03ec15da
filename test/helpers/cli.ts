/**
 * End-to-end helpers: run the BUILT binary (`node bin/run.js`, so run `npx tsc -b` first) in an
 * isolated temp home, with a clean environment, and check outputs for canaries.
 *
 *   const home = makeHome()                       // temp dir, own vault path and XDG_RUNTIME_DIR
 *   const pass = await initVault(home)            // init --passphrase-stdin --kdf interactive
 *   const token = await unlock(home, pass)        // unlock --raw --passphrase-stdin
 *   const r = await runCli(['status', '--json'], {home, env: {CODEX_VAULT_SESSION: token}})
 *   assertNoCanary(r.stdout + r.stderr, [pass, token])
 *   home.cleanup()
 *
 * stdin is /dev/null unless `input` is given, so a command never sees a TTY and never prompts.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

/** The package root (mocha runs from it) and the built entry point. */
export const ROOT = resolve(process.cwd())
export const BIN = join(ROOT, 'bin', 'run.js')

export interface CliHome {
  /** the temp folder; also HOME for spawned commands */
  dir: string
  /** CODEX_VAULT_FILE: <dir>/data/vault.cv (its folder does not exist until init creates it) */
  vault: string
  /** XDG_RUNTIME_DIR: session files go to <runtimeDir>/codex-vault/<vaultId>/ */
  runtimeDir: string
  /** HOME, CODEX_VAULT_FILE and XDG_RUNTIME_DIR for this home */
  env: Record<string, string>
  cleanup(): void
}

export function makeHome(prefix = 'cv-e2e-'): CliHome {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const vault = join(dir, 'data', 'vault.cv')
  const runtimeDir = join(dir, 'run')
  return {
    dir,
    vault,
    runtimeDir,
    env: {HOME: dir, CODEX_VAULT_FILE: vault, XDG_RUNTIME_DIR: runtimeDir},
    cleanup: () => rmSync(dir, {recursive: true, force: true}),
  }
}

export interface CliOptions {
  /** supplies HOME, CODEX_VAULT_FILE and XDG_RUNTIME_DIR */
  home?: CliHome
  /** extra variables (override the defaults); an undefined value removes the variable */
  env?: Record<string, string | undefined>
  /** written to stdin, then closed; without it stdin is /dev/null */
  input?: string | Buffer
  /** SIGKILL after this long (default 30 s) and report timedOut */
  timeoutMs?: number
  /** run through `sh -c 'umask <mask>; exec node ...'` */
  umask?: string
}

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** wall time from spawn to exit */
  ms: number
  timedOut: boolean
}

/** The clean environment a spawned command gets: PATH, HOME, NODE_ENV=test, the home's vars, then `env`. */
export function cliEnv(options: CliOptions = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'test', ...options.home?.env, ...options.env}
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key]
  if (!env.HOME) throw new Error('runCli needs a home (or env.HOME) so the command never touches the real user folders')
  return env
}

/** Start a command and keep its handle (to kill it); `done` never rejects. */
export function spawnCli(args: string[], options: CliOptions = {}): {child: ChildProcess; done: Promise<CliResult>} {
  const env = cliEnv(options)
  const started = Date.now()
  const child = options.umask === undefined
    ? spawn(process.execPath, [BIN, ...args], {cwd: ROOT, env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']})
    : spawn('sh', ['-c', `umask ${options.umask}; exec "$0" "$@"`, process.execPath, BIN, ...args],
      {cwd: ROOT, env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']})
  const stdout: Buffer[] = []
  const stderr: Buffer[] = []
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk))
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk))
  if (options.input !== undefined) {
    child.stdin!.on('error', () => { /* the command may exit before reading stdin */ })
    child.stdin!.end(options.input)
  }
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, options.timeoutMs ?? 30_000)
  const done = new Promise<CliResult>((resolvePromise) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolvePromise({
        code, signal, ms: Date.now() - started, timedOut,
        stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'),
      })
    })
  })
  return {child, done}
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return spawnCli(args, options).done
}

/** Readable failure text for assertions. */
export function explain(result: CliResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}${result.timedOut ? ' TIMED OUT' : ''}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`
}

/** `init --passphrase-stdin --kdf interactive` in `home`; returns the passphrase (a random canary unless given). */
export async function initVault(home: CliHome, passphrase = randomCanary()): Promise<string> {
  const result = await runCli(['init', '--passphrase-stdin', '--kdf', 'interactive'], {home, input: passphrase})
  if (result.code !== 0) throw new Error(`init failed: ${explain(result)}`)
  return passphrase
}

/** `unlock --raw --passphrase-stdin [...extra]`; returns the session token. */
export async function unlock(home: CliHome, passphrase: string, extra: string[] = []): Promise<string> {
  const result = await runCli(['unlock', '--raw', '--passphrase-stdin', ...extra], {home, input: passphrase})
  if (result.code !== 0) throw new Error(`unlock failed: ${explain(result)}`)
  const token = result.stdout.trim()
  if (!/^cvs1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) throw new Error(`unlock printed no token: ${explain(result)}`)
  return token
}

/** A random 40-character canary (letters and digits). */
export function randomCanary(): string {
  let out = ''
  while (out.length < 40) out += randomBytes(40).toString('base64').replace(/[^A-Za-z0-9]/g, '')
  return out.slice(0, 40)
}

/** The forms a leaked value could take: raw, base64, base64url, hex, URL- and JSON-escaped. */
export function canaryForms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8')
  return [...new Set([
    value,
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
  ])]
}

/** Throw if any form of any value appears in `text` (a Buffer is searched byte for byte). */
export function assertNoCanary(text: string | Buffer, values: string[], where = 'output'): void {
  const haystack = typeof text === 'string' ? text : text.toString('latin1')
  for (const value of values) {
    for (const form of canaryForms(value)) {
      const needle = typeof text === 'string' ? form : Buffer.from(form, 'utf8').toString('latin1')
      if (haystack.includes(needle)) throw new Error(`a canary (${form.slice(0, 6)}…) leaked into ${where}`)
    }
  }
}

/** True when stderr holds a JavaScript stack trace ("    at ..." lines). */
export function hasStackTrace(stderr: string): boolean {
  return /^\s{4}at /m.test(stderr)
}

export const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms))
