import {spawn, type StdioOptions} from 'node:child_process'
import {readFileSync, statSync} from 'node:fs'
import {createRequire} from 'node:module'
import {constants} from 'node:os'
import type {Readable, Writable} from 'node:stream'
import {isatty} from 'node:tty'

import {VaultError} from '../cli/errors.js'
import {Redactor, type MaskSecret} from './redactor.js'
import {resolveCommand} from './resolve-command.js'

export interface RunChildOptions {
  command: string
  args: string[]
  env: Record<string, string>
  cwd?: string
  /** null = no masking: the child gets our real stdio */
  mask: MaskSecret[] | null
  /** may be a getter: the piped path never reads it when `stdinFd` is set */
  stdin: NodeJS.ReadStream
  /**
   * `stdin`'s fd when it is this process's own (0): a piped child inherits it directly, without
   * creating process.stdin, which costs ~3 ms of every run's startup
   */
  stdinFd?: number
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  /**
   * called once the child exists, so the caller can record the live run; `group` is true when the
   * child leads its own process group (pgid = pid), which is then what gets signalled
   */
  onSpawn?: (childPid: number, group: boolean) => void
}

export interface ChildOutcome {
  code: number | null
  signal: NodeJS.Signals | null
  /** code, or 128 + signal number (the shell's convention) */
  exitCode: number
  durationMs: number
  pty: boolean
}

/** USR1/USR2 too: apps use them (reopen logs, reload), and USR2's default action would end us and orphan the child. */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2']
/** Signals a terminal sends to its whole foreground process group: a child sharing our group already has them. */
const TERMINAL_SIGNALS = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT'])

function signalName(num: number): NodeJS.Signals | null {
  for (const [name, value] of Object.entries(constants.signals)) if (value === num) return name as NodeJS.Signals
  return null
}

/** hrtime, not performance.now(): the performance global loads perf_hooks, a cost on every run's startup */
function elapsedMs(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6
}

function outcome(code: number | null, signal: NodeJS.Signals | null, started: bigint, pty: boolean): ChildOutcome {
  const exitCode = code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)
  return {code, signal, exitCode, durationMs: Math.round(elapsedMs(started)), pty}
}

/**
 * While the child runs we must not die from these signals ourselves (that would orphan it and skip cleanup), so we
 * hold a handler for each and pass it on. Skipping SIGINT/SIGQUIT when the child shares our terminal's process
 * group avoids delivering Ctrl-C twice (the Doppler/dotenvx lesson); they are still swallowed so we outlive the child.
 */
function forwardSignals(send: (signal: NodeJS.Signals) => void, childSharesTerminal: boolean): () => void {
  const handlers = FORWARDED.map((signal) => {
    const handler = () => {
      if (childSharesTerminal && TERMINAL_SIGNALS.has(signal)) return
      send(signal)
    }
    process.on(signal, handler)
    return [signal, handler] as const
  })
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler)
  }
}

/** To the child's process group when it leads one, else (or when the group is gone) through `fallback`. */
function signalChild(pid: number | undefined, signal: NodeJS.Signals, group: boolean, fallback: () => void): void {
  if (group && pid !== undefined) {
    try {
      process.kill(-pid, signal)
      return
    } catch {}
  }
  try {
    fallback()
  } catch {}
}

function fdOf(stream: unknown): number | undefined {
  const fd = (stream as {fd?: unknown}).fd
  return typeof fd === 'number' ? fd : undefined
}

/** Resolves once everything written to the stream so far has been handed to the OS. */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) return resolve()
    stream.write(Buffer.alloc(0), () => resolve())
  })
}

function checkCwd(cwd: string | undefined): void {
  if (cwd === undefined) return
  let isDir = false
  try {
    isDir = statSync(cwd).isDirectory()
  } catch {}
  if (!isDir) throw new VaultError('INVALID_INPUT', `run: working directory not found: ${cwd}`, {suggestions: ['pass an existing directory']})
}

/**
 * Copies the child's output to ours, through a redactor when masking. A 'data' handler that writes
 * straight to `dest`, not a Transform stream piped twice: the stream machinery cost ~10% of masked
 * throughput. The Redactor (its forms and search table) is built on the first chunk, since a run's
 * stderr is often silent. If our own output goes away (`| head` has read enough), our end of the
 * child's pipe is closed too, so that the child's next write fails, as it would without us, instead
 * of producing for ever into a drain. Node's stdio pipes are socketpairs: the child sees EPIPE (and
 * SIGPIPE) when nothing it wrote was left unread, else ECONNRESET; either way it stops writing.
 */
function relayOutput(source: Readable, dest: Writable, mask: MaskSecret[] | null): {ended: Promise<void>; detach: () => void} {
  let redactor: Redactor | undefined
  let destGone = false
  const onDestError = () => {
    destGone = true
    source.destroy()
  }
  dest.on('error', onDestError)
  source.on('data', (chunk: Buffer) => {
    if (destGone) return
    const out = mask === null ? chunk : (redactor ??= new Redactor(mask)).push(chunk)
    if (out.length > 0 && !dest.write(out)) {
      source.pause()
      dest.once('drain', () => source.resume())
    }
  })
  const ended = new Promise<void>((resolve) => {
    source.once('end', () => {
      const rest = redactor?.flush()
      if (rest !== undefined && rest.length > 0 && !destGone) dest.write(rest)
      resolve()
    })
    // destroyed above, or failed: no 'end' comes
    source.once('close', resolve)
  })
  return {ended, detach: () => dest.off('error', onDestError)}
}

/**
 * Spawns without a shell (argv as given). With a mask and a terminal on stdout the child gets a pseudo-terminal so
 * colours, isatty, window size and raw mode keep working; with a mask and no terminal its stdout and stderr each go
 * through a redactor. Resolves when the child has exited and its output has been flushed.
 * A missing command rejects with VaultError INVALID_INPUT and details.exitCode 127 (126 when not executable).
 */
export async function runChild(options: RunChildOptions): Promise<ChildOutcome> {
  checkCwd(options.cwd)
  const file = resolveCommand(options.command, options.env, options.cwd)
  if (options.mask !== null && options.stdout.isTTY) return runInPty(file, options, options.mask)
  return runPiped(file, options)
}

function runPiped(file: string, options: RunChildOptions): Promise<ChildOutcome> {
  const {mask} = options
  const inFd = options.stdinFd ?? fdOf(options.stdin)
  const stdio: StdioOptions = [
    inFd ?? 'pipe',
    mask === null ? fdOf(options.stdout) ?? 'pipe' : 'pipe',
    mask === null ? fdOf(options.stderr) ?? 'pipe' : 'pipe',
  ]
  const stdinIsTty = options.stdinFd === undefined ? options.stdin.isTTY : isatty(options.stdinFd)
  const sharesTerminal = Boolean(stdinIsTty || options.stdout.isTTY || options.stderr.isTTY)
  // Off a terminal the child gets a session and process group of its own (setsid), and every signal
  // goes to that group: what it started (npm start -> node server) goes with it, and the kill
  // switch can SIGKILL the lot while we live on to record the exit. On a terminal it stays in our
  // foreground group, so Ctrl-C and job control keep working and reach it once.
  const ownGroup = !sharesTerminal
  const started = process.hrtime.bigint()
  const child = spawn(file, options.args, {argv0: options.command, env: options.env, cwd: options.cwd, stdio, shell: false, detached: ownGroup})
  const stopForwarding = forwardSignals((signal) => signalChild(child.pid, signal, ownGroup, () => child.kill(signal)), sharesTerminal)

  if (child.stdin) {
    // the child may exit without reading its input; that is not our error
    child.stdin.on('error', () => {})
    options.stdin.pipe(child.stdin)
  }

  const ended: Promise<void>[] = []
  const detach: (() => void)[] = []
  const outputs: [Readable | null, Writable][] = [
    [child.stdout, options.stdout],
    [child.stderr, options.stderr],
  ]
  for (const [source, dest] of outputs) {
    if (source === null) continue
    const relay = relayOutput(source, dest, mask)
    ended.push(relay.ended)
    detach.push(relay.detach)
  }

  return new Promise((resolve, reject) => {
    child.once('spawn', () => {
      if (child.pid !== undefined) options.onSpawn?.(child.pid, ownGroup)
    })
    child.on('error', (error: NodeJS.ErrnoException) => {
      // only spawn failures arrive here: kill() on an exited child returns false instead of emitting
      if (child.pid !== undefined) return
      stopForwarding()
      for (const off of detach) off()
      if (child.stdin) options.stdin.unpipe(child.stdin)
      const missing = error.code === 'ENOENT'
      reject(new VaultError('INVALID_INPUT', missing ? `run: command not found: ${options.command}` : `run: cannot start ${options.command}: ${error.code ?? 'spawn failed'}`, {
        cause: error,
        details: {exitCode: missing ? 127 : 126},
        suggestions: ['check the program path and its permissions'],
      }))
    })
    child.once('close', async (code, signal) => {
      await Promise.all(ended)
      await Promise.all([drained(options.stdout), drained(options.stderr)])
      stopForwarding()
      for (const off of detach) off()
      if (child.stdin) options.stdin.unpipe(child.stdin)
      resolve(outcome(code, signal, started, false))
    })
  })
}

async function runInPty(file: string, options: RunChildOptions, mask: MaskSecret[]): Promise<ChildOutcome> {
  // loaded only here: a native addon we do not want on the startup path of every command. require,
  // not import(): the lean bundle runs from a V8 code cache (vm.Script), which has no ESM loader.
  const pty = createRequire(import.meta.url)('node-pty') as typeof import('node-pty')
  const {stdin, stdout} = options
  const started = process.hrtime.bigint()
  let term: import('node-pty').IPty
  try {
    term = pty.spawn(file, options.args, {
      name: options.env.TERM ?? 'xterm-256color',
      cols: stdout.columns || 80,
      rows: stdout.rows || 24,
      cwd: options.cwd ?? process.cwd(),
      env: options.env,
      encoding: null,
    })
  } catch (error) {
    throw new VaultError('INVALID_INPUT', `run: cannot start ${options.command} in a pseudo-terminal`, {cause: error, suggestions: ['retry with --no-mask']})
  }
  // node-pty starts the child as a session (and process group) leader
  options.onSpawn?.(term.pid, true)

  const redactor = new Redactor(mask)
  // with encoding null node-pty hands us Buffers, so multi-byte characters split across reads stay intact
  const dataSub = term.onData((data) => {
    const out = redactor.push(data as unknown as Buffer)
    if (out.length > 0) stdout.write(out)
  })

  const stdinIsTty = Boolean(stdin.isTTY)
  const wasRaw = stdinIsTty ? stdin.isRaw : false
  const restoreTerminal = () => {
    if (stdinIsTty && stdin.isRaw !== wasRaw) stdin.setRawMode(wasRaw)
  }
  // keystrokes (Ctrl-C included) go to the child's terminal untouched, as in ssh or tmux
  if (stdinIsTty) stdin.setRawMode(true)
  process.once('exit', restoreTerminal)
  const onInput = (chunk: Buffer) => term.write(chunk)
  // a piped stdin ends with the terminal's end-of-file character
  const onEnd = () => term.write('\x04')
  stdin.on('data', onInput)
  if (!stdinIsTty) stdin.once('end', onEnd)
  stdin.resume()
  const onResize = () => term.resize(stdout.columns || 80, stdout.rows || 24)
  stdout.on('resize', onResize)
  // the child leads its own session on the pty, so nothing reaches it twice: forward everything, to its whole group
  const stopForwarding = forwardSignals((signal) => signalChild(term.pid, signal, true, () => term.kill(signal)), false)

  return new Promise((resolve) => {
    term.onExit(async ({exitCode, signal}) => {
      dataSub.dispose()
      const rest = redactor.flush()
      if (rest.length > 0) stdout.write(rest)
      stopForwarding()
      stdin.off('data', onInput)
      stdin.off('end', onEnd)
      stdin.pause()
      stdout.off('resize', onResize)
      restoreTerminal()
      process.off('exit', restoreTerminal)
      await drained(stdout)
      const name = signal ? signalName(signal) : null
      resolve(outcome(name ? null : exitCode, name, started, true))
    })
  })
}

/** The soft RLIMIT_CORE from /proc/self/limits, or null when it cannot be read. */
function softCoreLimit(): string | null {
  try {
    const line = readFileSync('/proc/self/limits', 'latin1').split('\n').find((l) => l.startsWith('Max core file size'))
    return line?.slice('Max core file size'.length).trim().split(/\s+/)[0] ?? null
  } catch {
    return null
  }
}

/**
 * Best effort: no core dumps for this process and (by inheritance) every child, so a crash cannot write keys to a
 * core file. Linux only; resolves to whether dumps are off and never rejects. Most systems already start with a
 * soft limit of 0, which is all a dump needs to be off, so that case costs one read of /proc/self/limits.
 * Otherwise prlimit(1) sets 0:0 (a ~4 ms spawn): asynchronous, so `run` starts it before its audit write and
 * awaits it before it decrypts anything. Ignored by the kernel when core dumps are piped to a helper such as
 * systemd-coredump.
 */
export function disableCoreDumps(): Promise<boolean> {
  if (process.platform !== 'linux') return Promise.resolve(false)
  if (softCoreLimit() === '0') return Promise.resolve(true)
  return new Promise((resolve) => {
    try {
      const child = spawn('prlimit', ['--pid', String(process.pid), '--core=0:0'], {stdio: 'ignore', timeout: 2000})
      child.once('error', () => resolve(false))
      child.once('exit', (code) => resolve(code === 0))
    } catch {
      resolve(false)
    }
  })
}
