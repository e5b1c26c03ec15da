/**
 * Reading one candidate file, apart from the walk (walk.ts) so that scan workers, which only read,
 * do not load and compile the walk's ignore-file machinery.
 */
import fs from 'node:fs'

/**
 * Why a file or folder was not scanned. Folders are reported with a trailing '/'.
 * 'dependencies': a dependency folder (node_modules, vendor, .venv, venv) that no ignore file covers.
 */
export type SkipReason = 'symlink' | 'not-regular' | 'unreadable' | 'too-large' | 'binary' | 'dependencies'

/** Skips of files that could hold a hard-coded key, unseen: what `--fail-on-leak` must warn about. */
export const UNCHECKED_REASONS: ReadonlySet<SkipReason> = new Set(['too-large', 'unreadable', 'binary'])

export type ReadResult = {ok: true; length: number} | {ok: false; reason: SkipReason; detail?: string}

/**
 * Reads one regular file into `into` (reused across files so that memory stays flat), or into the
 * buffer `into(size)` returns once the size is known (a scan worker reads into a shared ring).
 * Refuses anything over `maxBytes`, anything that is not a regular file by the time it is opened,
 * and anything with a NUL byte in its first 8 KiB (binary).
 */
export function readCandidate(abs: string, into: Buffer | ((size: number) => Buffer), maxBytes: number): ReadResult {
  let fd: number
  try {
    // O_NONBLOCK: if the entry was swapped for a FIFO after listing, open must not block.
    fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW)
  } catch (error) {
    return {ok: false, reason: 'unreadable', detail: (error as NodeJS.ErrnoException).code}
  }
  try {
    const stat = fs.fstatSync(fd)
    if (!stat.isFile()) return {ok: false, reason: 'not-regular'}
    if (stat.size > maxBytes) return {ok: false, reason: 'too-large', detail: `${stat.size} bytes`}
    const buffer = typeof into === 'function' ? into(stat.size) : into
    let length = 0
    const want = Math.min(stat.size, buffer.length)
    while (length < want) {
      const n = fs.readSync(fd, buffer, length, want - length, length)
      if (n === 0) break
      length += n
    }
    const head = buffer.subarray(0, Math.min(length, 8192))
    if (head.indexOf(0) !== -1) return {ok: false, reason: 'binary'}
    return {ok: true, length}
  } catch (error) {
    return {ok: false, reason: 'unreadable', detail: (error as NodeJS.ErrnoException).code}
  } finally {
    fs.closeSync(fd)
  }
}
