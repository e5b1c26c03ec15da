import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export const WRAPPER = join(process.cwd(), 'test/runtime/fixtures/wrapper.ts')

/** A random 40-character canary; `extra` is spliced in the middle to force characters that need escaping. */
export function canary(extra = ''): string {
  const base = randomBytes(30).toString('base64') // 40 chars, includes + and / now and then
  if (extra === '') return base
  return base.slice(0, 20) + extra + base.slice(20 + extra.length)
}

export function tempDir(): {dir: string; cleanup: () => void} {
  const dir = mkdtempSync(join(tmpdir(), 'cv-runtime-test-'))
  return {dir, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}

export interface WrapperResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  outcome: Record<string, unknown> | undefined
}

export interface WrapperRun {
  pid: number
  /** resolves with the child pid (or 'waiting' with delayMs) once the wrapper wrote its ready file */
  ready: Promise<string>
  done: Promise<WrapperResult>
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function waitForFile(path: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8')
      if (text !== '') return text
    }
    await sleep(20)
  }
  throw new Error(`timed out waiting for ${path}`)
}

/** Starts the wrapper fixture (a real process calling runChild) with the given config. */
export function startWrapper(dir: string, config: Record<string, unknown>, input?: string): WrapperRun {
  const id = randomBytes(4).toString('hex')
  const outcomeFile = join(dir, `outcome-${id}.json`)
  const readyFile = join(dir, `ready-${id}`)
  const configFile = join(dir, `config-${id}.json`)
  writeFileSync(configFile, JSON.stringify({outcomeFile, readyFile, ...config}))
  // `launcher`: a command line to start the wrapper through (e.g. prlimit with other limits)
  const launcher = (config.launcher as string[] | undefined) ?? []
  const argv = [...launcher, process.execPath, '--import', 'tsx', WRAPPER, configFile]
  const proc = spawn(argv[0], argv.slice(1), {cwd: process.cwd(), stdio: ['pipe', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  proc.stdin.on('error', () => {})
  if (input === undefined) proc.stdin.end()
  else proc.stdin.end(input)
  const done = new Promise<WrapperResult>((resolve) => {
    proc.on('close', (code, signal) => {
      const outcome = existsSync(outcomeFile) ? (JSON.parse(readFileSync(outcomeFile, 'utf8')) as Record<string, unknown>) : undefined
      resolve({code, signal, stdout, stderr, outcome})
    })
  })
  return {pid: proc.pid!, ready: waitForFile(readyFile), done}
}

export function runWrapper(dir: string, config: Record<string, unknown>, input?: string): Promise<WrapperResult> {
  return startWrapper(dir, config, input).done
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}
