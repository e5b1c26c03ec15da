/**
 * Rewriting a user's .env file in place after `secret import --scrub`: atomic (temp file + rename,
 * via the vault's writer), same permissions as before, and never over edits made meanwhile.
 */
import {readFileSync, realpathSync, statSync} from 'node:fs'

import {VaultError} from '../cli/errors.js'
import {writeFileAtomic} from './atomic-write.js'

/**
 * Replace the file at `path` with `text`, provided it still holds `original` (what the import
 * read). A symlinked .env is followed: the file the link points to is rewritten and the link kept.
 */
export function replaceDotenvFile(path: string, original: string, text: string): void {
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
  writeFileAtomic(target, text, mode)
}
