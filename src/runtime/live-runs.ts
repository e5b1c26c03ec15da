import {chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {VaultError} from '../cli/errors.js'
import {randomBytes} from '../secrets/crypto.js'

/** One `run` in progress, as recorded in `<vault>.runs/<runId>.json`. */
export interface LiveRun {
  runId: string
  wrapperPid: number
  /** /proc/<pid>/stat starttime (clock ticks since boot): with the pid, identifies the process even after pid reuse */
  wrapperStart: string | null
  childPid: number | null
  childStart: string | null
  asset: string
  providers: string[]
  capabilities: string[]
  /** ISO time the run was registered */
  started: string
  /** the command's name (no arguments: they are the user's), for `status`; absent in older records */
  command?: string
  /** how the keys reach the child: 'masked', 'unmasked' or 'mediated'; absent in older records */
  mode?: string
}

export interface RunRegistration {
  runId: string
  setChild(pid: number): void
  remove(): void
}

const RUN_ID = /^[0-9a-f]{16}$/
const POLL_MS = 50

/**
 * Start time of a live process, or null when it is gone (or a zombie, which can no longer act).
 * Where /proc does not exist the answer is 'unknown' and callers fall back to a bare pid check.
 */
export function processStartTime(pid: number): string | null | 'unknown' {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !procAvailable()) return 'unknown'
    return null
  }
  // comm (field 2) may contain spaces and parentheses: fields after the last ')' start at field 3
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  if (fields[0] === 'Z' || fields[0] === 'X') return null
  return fields[19] ?? null
}

function procAvailable(): boolean {
  try {
    return lstatSync('/proc/self').isSymbolicLink()
  } catch {
    return false
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** True when pid still names the process that was recorded with this start time. */
export function isSameProcess(pid: number | null, start: string | null): boolean {
  if (pid === null || !Number.isInteger(pid) || pid <= 0) return false
  const now = processStartTime(pid)
  if (now === 'unknown') return pidAlive(pid)
  return now !== null && now === start
}

function startOf(pid: number): string | null {
  const start = processStartTime(pid)
  return start === 'unknown' ? null : start
}

function writeRecord(dir: string, run: LiveRun): void {
  const file = join(dir, `${run.runId}.json`)
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`
  // rename makes the update atomic: a reader never sees half a record
  writeFileSync(temp, JSON.stringify(run), {mode: 0o600, flag: 'wx'})
  renameSync(temp, file)
}

function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, {recursive: true, mode: 0o700})
    chmodSync(dir, 0o700)
  } catch (error) {
    throw new VaultError('VAULT_UNREADABLE', `run: cannot create the live-run folder ${dir}`, {
      cause: error,
      suggestions: ['check the permissions of the folder that holds the vault'],
    })
  }
}

/** Records this process as a live run so `kill`-style commands can find and stop it without a daemon. */
export function registerRun(dir: string, info: {asset: string; providers: string[]; capabilities: string[]; command?: string; mode?: string}): RunRegistration {
  ensureDir(dir)
  const run: LiveRun = {
    runId: randomBytes(8).toString('hex'),
    wrapperPid: process.pid,
    wrapperStart: startOf(process.pid),
    childPid: null,
    childStart: null,
    asset: info.asset,
    providers: [...info.providers],
    capabilities: [...info.capabilities],
    started: new Date().toISOString(),
    ...(info.command !== undefined ? {command: info.command} : {}),
    ...(info.mode !== undefined ? {mode: info.mode} : {}),
  }
  try {
    writeRecord(dir, run)
  } catch (error) {
    throw new VaultError('VAULT_UNREADABLE', `run: cannot record the live run in ${dir}`, {cause: error, suggestions: ['check the permissions of the folder that holds the vault']})
  }
  let removed = false
  return {
    runId: run.runId,
    setChild(pid: number) {
      if (removed) return
      run.childPid = pid
      run.childStart = startOf(pid)
      try {
        writeRecord(dir, run)
      } catch {
        // the wrapper is still recorded and forwards signals to the child, so the kill switch keeps working
      }
    },
    remove() {
      removed = true
      removeIfPresent(join(dir, `${run.runId}.json`))
    },
  }
}

/** unlink, not rmSync: rmSync loads Node's rimraf module, ~1 ms on every run's exit path */
function removeIfPresent(file: string): void {
  try {
    unlinkSync(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

function parseRecord(text: string): LiveRun | null {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null) return null
  const r = value as Record<string, unknown>
  const isPid = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0
  const isStart = (v: unknown) => v === null || (typeof v === 'string' && /^\d+$/.test(v))
  const isStrings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string')
  if (typeof r.runId !== 'string' || !RUN_ID.test(r.runId) || !isPid(r.wrapperPid) || !isStart(r.wrapperStart)) return null
  if (!(r.childPid === null || isPid(r.childPid)) || !isStart(r.childStart)) return null
  if (typeof r.asset !== 'string' || !isStrings(r.providers) || !isStrings(r.capabilities) || typeof r.started !== 'string') return null
  const shortText = (v: unknown) => (typeof v === 'string' && v.length <= 256 ? v : undefined)
  const command = shortText(r.command)
  const mode = shortText(r.mode)
  return {
    runId: r.runId,
    wrapperPid: r.wrapperPid as number,
    wrapperStart: r.wrapperStart as string | null,
    childPid: r.childPid as number | null,
    childStart: r.childStart as string | null,
    asset: r.asset,
    providers: r.providers as string[],
    capabilities: r.capabilities as string[],
    started: r.started,
    ...(command !== undefined ? {command} : {}),
    ...(mode !== undefined ? {mode} : {}),
  }
}

/** Runs whose wrapper is still the recorded process; records of dead or reused pids are deleted on the way. */
export function listLiveRuns(dir: string): LiveRun[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new VaultError('VAULT_UNREADABLE', `cannot read the live-run folder ${dir}`, {cause: error, suggestions: ['check the permissions of the folder that holds the vault']})
  }
  const runs: LiveRun[] = []
  for (const name of names) {
    if (!name.endsWith('.json') || !RUN_ID.test(name.slice(0, -5))) continue
    const file = join(dir, name)
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      continue // removed by its run while we listed
    }
    const run = parseRecord(text)
    if (run === null || run.runId !== name.slice(0, -5) || !isSameProcess(run.wrapperPid, run.wrapperStart)) {
      removeIfPresent(file)
      continue
    }
    runs.push(run)
  }
  return runs.sort((a, b) => a.started.localeCompare(b.started))
}

interface Target {
  pid: number
  start: string | null
}

function targetsOf(run: LiveRun): Target[] {
  const targets: Target[] = [{pid: run.wrapperPid, start: run.wrapperStart}]
  if (run.childPid !== null) targets.push({pid: run.childPid, start: run.childStart})
  return targets
}

function signalIfSame(target: Target, signal: NodeJS.Signals): void {
  // identity is checked right before each signal so a pid reused in the meantime is left alone
  if (!isSameProcess(target.pid, target.start)) return
  try {
    process.kill(target.pid, signal)
  } catch {}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitGone(targets: Target[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (targets.every((t) => !isSameProcess(t.pid, t.start))) return true
    if (Date.now() >= deadline) return false
    await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())))
  }
}

/**
 * SIGTERM to matching wrappers (which forward it to their children) and to the children directly, then SIGKILL after
 * graceMs to whatever is still the same process. Resolves with the runs that were signalled.
 */
export async function terminateRuns(dir: string, match: (run: LiveRun) => boolean, graceMs = 1500): Promise<LiveRun[]> {
  const chosen = listLiveRuns(dir).filter((run) => run.wrapperPid !== process.pid && match(run))
  const targets = chosen.flatMap(targetsOf)
  for (const target of targets) signalIfSame(target, 'SIGTERM')
  if (!(await waitGone(targets, graceMs))) {
    for (const target of targets) signalIfSame(target, 'SIGKILL')
    await waitGone(targets, 500)
  }
  // a SIGKILLed wrapper cannot remove its own record
  for (const run of chosen) {
    if (!isSameProcess(run.wrapperPid, run.wrapperStart)) removeIfPresent(join(dir, `${run.runId}.json`))
  }
  return chosen
}
