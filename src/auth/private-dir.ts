import {chmodSync, lstatSync, mkdirSync} from 'node:fs'

import {VaultError} from '../cli/errors.js'

/** mkdir -p with 0700 on every folder we create, whatever the umask; refuses a symlinked leaf. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, {recursive: true, mode: 0o700})
  const stat = lstatSync(dir)
  if (!stat.isDirectory()) throw new VaultError('VAULT_UNREADABLE', `${dir} is not a folder`, {suggestions: [`remove ${dir} and try again`]})
  if ((stat.mode & 0o777) !== 0o700 && stat.uid === process.getuid?.()) chmodSync(dir, 0o700)
}
