/**
 * The one durable replace: unique temp file (O_CREAT|O_EXCL|O_NOFOLLOW, given mode whatever the
 * umask) -> write -> fsync -> rename -> fsync(folder). Any failure before the rename removes the
 * temp file and leaves the target exactly as it was.
 */
import {
  closeSync, constants, fchmodSync, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync,
} from 'node:fs'
import {basename, dirname, join} from 'node:path'

import {randomBytes} from './crypto.js'

const tempPrefix = (target: string) => `.${basename(target)}.`
const TEMP_SUFFIX = '.tmp'

export function fsyncDirectory(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, constants.O_RDONLY)
    fsyncSync(fd)
  } catch {
    // Directory fsync is not possible on every platform; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

export function writeFileAtomic(target: string, data: Buffer | string, mode = 0o600): void {
  const dir = dirname(target)
  const temp = join(dir, `${tempPrefix(target)}${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`)
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode)
  try {
    fchmodSync(fd, mode) // the umask may have narrowed or (umask 000) not touched it; be exact
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
    let offset = 0
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset)
    fsyncSync(fd)
    closeSync(fd)
  } catch (error) {
    try { closeSync(fd) } catch { /* already closed */ }
    try { unlinkSync(temp) } catch { /* nothing to clean */ }
    throw error
  }
  try {
    renameSync(temp, target)
  } catch (error) {
    try { unlinkSync(temp) } catch { /* nothing to clean */ }
    throw error
  }
  fsyncDirectory(dir)
}

/** Remove temp files left by writers that died mid-write. Call only while holding the vault lock. */
export function removeOrphanTemps(target: string): number {
  const dir = dirname(target)
  const prefix = tempPrefix(target)
  let removed = 0
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return 0
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) continue
    try {
      if (statSync(join(dir, name)).isFile()) {
        unlinkSync(join(dir, name))
        removed++
      }
    } catch { /* raced with another cleaner */ }
  }
  return removed
}
