/**
 * File-level helpers for the audit log: segment naming, safe opening, full reads/writes, and the
 * mapping of any I/O failure to AUDIT_UNAVAILABLE (the caller must then refuse the audited action).
 */
import fs from 'node:fs'
import path from 'node:path'

import {VaultError} from '../cli/errors.js'

const {O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_RDWR} = fs.constants

/** Archived segment n of the log at `live`: `<live>.000007`. */
export function archivePath(live: string, segment: number): string {
  return `${live}.${String(segment).padStart(6, '0')}`
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

export function isMissing(error: unknown): boolean {
  return errnoCode(error) === 'ENOENT'
}

/** Wrap an I/O failure; VaultErrors pass through unchanged. */
export function unavailable(error: unknown, what: string, file: string): VaultError {
  if (error instanceof VaultError) return error
  const code = errnoCode(error) ?? 'unknown error'
  return new VaultError('AUDIT_UNAVAILABLE', `cannot ${what} the audit log ${file} (${code}); the action was refused`, {
    cause: error,
    details: {path: file, errno: code},
    suggestions: [
      'check that the directory is writable and the disk is not full',
      'make sure the audit path is a regular file, not a directory or symlink',
    ],
  })
}

export function rollback(detail: string, details: Record<string, unknown> = {}): VaultError {
  return new VaultError('ROLLBACK', `audit log truncated, rolled back or edited: ${detail}`, {
    details,
    suggestions: [
      'run `codex-vault audit verify` to find the first bad record',
      'restore the vault and its .audit files together from the same backup',
    ],
  })
}

/** Archive numbers present beside the live file, ascending. */
export function listArchives(live: string): number[] {
  const dir = path.dirname(live)
  const prefix = `${path.basename(live)}.`
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch (error) {
    if (isMissing(error)) return []
    throw unavailable(error, 'list the segments of', live)
  }
  const numbers: number[] = []
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    const rest = name.slice(prefix.length)
    if (/^\d{6,}$/.test(rest)) numbers.push(Number(rest))
  }
  return numbers.sort((a, b) => a - b)
}

/** Open for reading without following symlinks; null when the file does not exist. */
export function openRead(file: string): number | null {
  try {
    const fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW)
    try {
      if (!fs.fstatSync(fd).isFile()) throw Object.assign(new Error('not a regular file'), {code: 'EISDIR'})
    } catch (error) {
      fs.closeSync(fd)
      throw error
    }
    return fd
  } catch (error) {
    if (isMissing(error)) return null
    throw unavailable(error, 'read', file)
  }
}

/**
 * Open the live segment for appending. O_EXCL tells us whether we created it (then fchmod 0600,
 * whatever the umask, and the caller fsyncs the directory); O_NOFOLLOW refuses a planted symlink.
 */
export function openAppend(file: string): {fd: number; created: boolean} {
  const flags = O_RDWR | O_APPEND | O_NOFOLLOW
  try {
    const fd = fs.openSync(file, flags | O_CREAT | O_EXCL, 0o600)
    try {
      fs.fchmodSync(fd, 0o600)
    } catch (error) {
      fs.closeSync(fd)
      throw error
    }
    return {fd, created: true}
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error
  }
  const fd = fs.openSync(file, flags)
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd)
    throw Object.assign(new Error('not a regular file'), {code: 'EISDIR'})
  }
  return {fd, created: false}
}

/** Read up to `length` bytes at `position`; returns the count (short only at EOF). */
export function readAt(fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  let done = 0
  while (done < length) {
    const n = fs.readSync(fd, buf, offset + done, length - done, position + done)
    if (n === 0) break
    done += n
  }
  return done
}

export function writeAll(fd: number, buf: Buffer): void {
  let done = 0
  while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done)
}

export function fsyncDir(file: string): void {
  const fd = fs.openSync(path.dirname(file), O_RDONLY)
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

export function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd)
  } catch {
    // closing a read-only or already-failed descriptor cannot lose data we still care about
  }
}
