/**
 * Inter-process exclusive lock on `<vault>.lock` with flock(2): the kernel releases it when the
 * holder dies for any reason (kill -9 included), so there is no stale-lock window at all.
 * The vault itself is never locked because it is replaced by rename.
 */
import {closeSync, constants, openSync} from 'node:fs'
import {createRequire} from 'node:module'

import {VaultError} from '../cli/errors.js'

const require = createRequire(import.meta.url)

export interface VaultLock {
  release(): void
}

function tryFlock(fd: number): boolean {
  const {flockSync} = require('fs-ext') as typeof import('fs-ext')
  try {
    flockSync(fd, 'exnb')
    return true
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false
    throw error
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function acquireVaultLock(vaultPath: string, timeoutMs: number): Promise<VaultLock> {
  const lockPath = `${vaultPath}.lock`
  let fd: number
  try {
    // libuv opens every descriptor close-on-exec, so a spawned child never inherits the lock
    fd = openSync(lockPath, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600)
  } catch (error) {
    throw new VaultError('VAULT_UNREADABLE', `vault lock: cannot open ${lockPath}: ${(error as NodeJS.ErrnoException).code}`, {
      cause: error, suggestions: ['check that the vault folder exists and is writable, and that the lock file is not a symlink'],
    })
  }
  const deadline = Date.now() + timeoutMs
  let wait = 5
  for (;;) {
    if (tryFlock(fd)) break
    if (Date.now() >= deadline) {
      closeSync(fd)
      throw new VaultError('VAULT_BUSY', `vault is busy: another codex-vault process held the lock for more than ${Math.round(timeoutMs / 1000)}s`, {
        suggestions: ['wait for the other command to finish, or raise --lock-timeout'],
      })
    }
    await sleep(Math.min(wait, Math.max(1, deadline - Date.now())))
    wait = Math.min(wait * 2, 100)
  }
  let released = false
  return {
    release() {
      if (released) return
      released = true
      closeSync(fd) // closing the descriptor drops the flock
    },
  }
}
