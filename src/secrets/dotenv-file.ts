/**
 * Rewriting a user's .env file in place after `secret import --scrub`: atomic (temp file + rename,
 * via the vault's writer), same permissions as before, and never over edits made meanwhile.
 */
import {accessSync, constants, readFileSync, realpathSync, statSync} from 'node:fs'
import {dirname} from 'node:path'

import {VaultError} from '../cli/errors.js'
import {writeFileAtomic} from './atomic-write.js'

/** The atomic replace used for the .env (a parameter so tests can make it fail). */
export type AtomicWriter = (target: string, data: string, mode: number) => void

function why(code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM': return `permission denied (${code}; the scrub writes a temp file in the file's folder and renames it over the file)`
    case 'EROFS': return 'the file system is read-only (EROFS)'
    case 'ENOSPC':
    case 'EDQUOT': return `no space left for the rewritten copy (${code})`
    default: return code ? `the rewrite failed (${code})` : 'the rewrite failed'
  }
}

/**
 * Would replaceDotenvFile be allowed? Asked of the kernel without writing anything (a trial
 * rewrite would give the file a new inode and mtime, and wake dev-server watchers, even when the
 * import then stores nothing): the folder must take a temp file, and the file must not be
 * immutable or on a read-only file system (plain read-only permissions do not stop a rename).
 */
export function checkDotenvReplaceable(path: string, access: (path: string, mode: number) => void = accessSync): void {
  let target: string
  try {
    target = realpathSync(path)
  } catch (error) {
    throw new VaultError('INVALID_INPUT', `cannot read ${path} to scrub it (${(error as NodeJS.ErrnoException).code ?? 'error'}); it was not changed`, {cause: error})
  }
  const refuse = (error: unknown): never => {
    const code = (error as NodeJS.ErrnoException).code
    throw new VaultError('INVALID_INPUT', `cannot rewrite ${path}: ${why(code)}`, {cause: error, details: {folder: dirname(target), ...(code ? {errno: code} : {})}})
  }
  try {
    access(dirname(target), constants.W_OK | constants.X_OK)
  } catch (error) {
    refuse(error)
  }
  try {
    access(target, constants.W_OK)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EACCES') refuse(error)
  }
}

/**
 * Replace the file at `path` with `text`, provided it still holds `original` (what the import
 * read). A symlinked .env is followed: the file the link points to is rewritten and the link kept.
 * Every failure is a VaultError and leaves the file as it was; a failed write names the folder
 * the temp file goes to in details.folder.
 */
export function replaceDotenvFile(path: string, original: string, text: string, write: AtomicWriter = writeFileAtomic): void {
  let target: string
  let mode: number
  try {
    target = realpathSync(path)
    const stat = statSync(target)
    if (!stat.isFile()) throw new VaultError('INVALID_INPUT', `${path} is not a regular file; it was not scrubbed`)
    mode = stat.mode & 0o7777
  } catch (error) {
    if (error instanceof VaultError) throw error
    throw new VaultError('INVALID_INPUT', `cannot read ${path} to scrub it (${(error as NodeJS.ErrnoException).code ?? 'error'}); it was not changed`, {cause: error})
  }
  // Re-read just before the swap: the window left is only the rename itself.
  if (readFileSync(target, 'utf8') !== original) {
    throw new VaultError('INVALID_INPUT', `${path} changed while it was being imported; it was not scrubbed`, {
      suggestions: ['run the import again with --scrub'],
    })
  }
  try {
    write(target, text, mode)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new VaultError('INVALID_INPUT', `cannot rewrite ${path}: ${why(code)}`, {
      cause: error, details: {folder: dirname(target), ...(code ? {errno: code} : {})},
    })
  }
}
