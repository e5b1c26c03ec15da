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
  /** true when the child leads its own process group (pgid = childPid): the kill switch then signals the whole group */
  childGroup?: boolean
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
  /** `group`: the child leads its own process group, so what it started is signalled with it */
  setChild(pid: number, group?: boolean): void
  /** why the kill switch stopped this run, when it did (read before remove()) */
  stopReason(): string | undefined
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
    setChild(pid: number, group = false) {
      if (removed) return
      run.childPid = pid
      run.childStart = startOf(pid)
      if (group) run.childGroup = true
      try {
        writeRecord(dir, run)
      } catch {
        // the wrapper is still recorded and forwards signals to the child, so the kill switch keeps working
      }
    },
    stopReason() {
      try {
        const text = readFileSync(join(dir, `${run.runId}.stop`), 'utf8')
        return text.length > 0 && text.length <= 512 ? text : undefined
      } catch {
        return undefined
      }
    },
    remove() {
      removed = true
      removeIfPresent(join(dir, `${run.runId}.json`))
      removeIfPresent(join(dir, `${run.runId}.stop`))
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
    ...(r.childGroup === true ? {childGroup: true} : {}),
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

const wrapperOf = (run: LiveRun): Target => ({pid: run.wrapperPid, start: run.wrapperStart})

function signalIfSame(target: Target, signal: NodeJS.Signals): void {
  // identity is checked right before each signal so a pid reused in the meantime is left alone
  if (!isSameProcess(target.pid, target.start)) return
  try {
    process.kill(target.pid, signal)
  } catch {}
}

/**
 * SIGKILL to the run's child and, when it leads its own process group, to that whole group (what
 * `npm start` started goes with it). The group is signalled while either the child or its wrapper
 * is still the recorded process: a group id stays taken while any member lives, and the wrapper
 * keeps the leader's pid from being reused until it has reaped it.
 */
function killChild(run: LiveRun): void {
  if (run.childPid === null) return
  const child = {pid: run.childPid, start: run.childStart}
  // The group id is ours to signal while the leader is the recorded child, or while no process has
  // that pid (its group may still have members, and Linux does not reuse a pid whose group lives).
  // A live process with that pid but another start time is a reuse: its group is somebody else's.
  const leader = processStartTime(child.pid)
  const groupIsOurs = leader === child.start || leader === null || (leader === 'unknown' && isSameProcess(run.wrapperPid, run.wrapperStart))
  if (run.childGroup && groupIsOurs) {
    try {
      process.kill(-run.childPid, 'SIGKILL')
      return
    } catch {}
  }
  signalIfSame(child, 'SIGKILL')
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

/** Written before the signals, so that the wrapper's run.exit record can say why its child ended. */
function leaveStopNote(dir: string, runId: string, reason: string): void {
  const file = join(dir, `${runId}.stop`)
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`
  try {
    writeFileSync(temp, reason.slice(0, 512), {mode: 0o600, flag: 'wx'})
    renameSync(temp, file)
  } catch {}
}

/** How long a wrapper has, once its child is SIGKILLed, to write its run.exit record and leave. */
export const WRAPPER_EXIT_MS = 600

/**
 * Stops the matching runs within 2 s. SIGTERM goes to each wrapper, which forwards it to its child
 * (to the child's process group when it has one), so nothing gets it twice. After graceMs whatever
 * child is still there is SIGKILLed (with its group); its wrapper, which outlives it, then records
 * run.exit (naming `reason`) and exits 137. A wrapper still there WRAPPER_EXIT_MS later is SIGKILLed
 * too. Resolves with the runs that were signalled.
 */
export async function terminateRuns(dir: string, match: (run: LiveRun) => boolean, graceMs = 1200, reason?: string): Promise<LiveRun[]> {
  const chosen = listLiveRuns(dir).filter((run) => run.wrapperPid !== process.pid && match(run))
  // `kill` run from inside a run (an agent stopping itself) is in that run's child group and gets
  // its signals: stop every other run first, then that one.
  const ownGroup = processGroupOfSelf()
  const insideOf = (run: LiveRun) => run.childGroup === true && run.childPid === ownGroup
  await stopRuns(dir, chosen.filter((run) => !insideOf(run)), graceMs, reason)
  await stopRuns(dir, chosen.filter(insideOf), graceMs, reason)
  return chosen
}

/** Our own process group id, from /proc (undefined where there is none). */
function processGroupOfSelf(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
    return Number.isInteger(group) ? group : undefined
  } catch {
    return undefined
  }
}

async function stopRuns(dir: string, chosen: LiveRun[], graceMs: number, reason?: string): Promise<void> {
  if (chosen.length === 0) return
  const wrappers = chosen.map(wrapperOf)
  const everything = [...wrappers, ...chosen.filter((run) => run.childPid !== null).map((run) => ({pid: run.childPid!, start: run.childStart}))]
  if (reason !== undefined) for (const run of chosen) leaveStopNote(dir, run.runId, reason)
  for (const wrapper of wrappers) signalIfSame(wrapper, 'SIGTERM')
  if (!(await waitGone(everything, graceMs))) {
    for (const run of chosen) killChild(run)
    if (!(await waitGone(wrappers, WRAPPER_EXIT_MS))) {
      for (const wrapper of wrappers) signalIfSame(wrapper, 'SIGKILL')
      await waitGone(wrappers, 200)
    }
  }
  // a SIGKILLed wrapper cannot remove its own record (or the note left for it)
  for (const run of chosen) {
    if (isSameProcess(run.wrapperPid, run.wrapperStart)) continue
    removeIfPresent(join(dir, `${run.runId}.json`))
    removeIfPresent(join(dir, `${run.runId}.stop`))
  }
}
