/** Reading the vault file defensively: regular file only, no symlink, size checked before reading. */
import {closeSync, constants, fstatSync, openSync, readSync} from 'node:fs'

import {VaultError} from '../cli/errors.js'
import {MAX_VAULT_BYTES} from './vault-header.js'

export function readVaultBytes(path: string): Buffer {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      throw new VaultError('VAULT_MISSING', `no vault at ${path}`, {
        suggestions: ['run `codex-vault init` to create one, or point --vault / CODEX_VAULT_FILE at an existing vault'],
      })
    }
    throw new VaultError('VAULT_UNREADABLE', `cannot read the vault at ${path} (${code})`, {
      cause: error, suggestions: ['check the path and its permissions; the vault must be a regular file, not a symlink'],
    })
  }
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) throw new VaultError('VAULT_UNREADABLE', `the vault path ${path} is not a regular file`)
    if (stat.size > MAX_VAULT_BYTES) throw new VaultError('HEADER_INVALID', `vault header: file is larger than ${MAX_VAULT_BYTES} bytes`)
    const bytes = Buffer.alloc(stat.size)
    let offset = 0
    while (offset < bytes.length) {
      const read = readSync(fd, bytes, offset, bytes.length - offset, offset)
      if (read === 0) break
      offset += read
    }
    return bytes.subarray(0, offset)
  } finally {
    closeSync(fd)
  }
}
