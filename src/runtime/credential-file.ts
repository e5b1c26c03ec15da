import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'

import {VaultError} from '../cli/errors.js'

const CLEANUP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']
/** Marks our own signal handlers so several credential files do not mistake each other for a live runner. */
const CLEANUP_MARK = Symbol.for('codex-vault.credential-cleanup')

function othersListening(signal: NodeJS.Signals): boolean {
  return process.listeners(signal).some((listener) => !(CLEANUP_MARK in listener))
}

/**
 * For providers that read a credentials file (Vertex AI's GOOGLE_APPLICATION_CREDENTIALS): the value goes to a 0600
 * file in a fresh 0700 folder. The folder is removed by cleanup(), on process exit, and on a fatal signal; while
 * runChild forwards signals to a live child the file stays, since the child may still need it. Only SIGKILL of
 * this process can leave it behind.
 */
export function writeCredentialFile(value: string, fileName = 'credentials.json'): {path: string; cleanup: () => void} {
  const name = basename(fileName)
  if (name !== fileName || name === '' || name === '.' || name === '..') {
    throw new VaultError('INVALID_INPUT', `run: invalid credential file name ${JSON.stringify(fileName)}`, {suggestions: ['use a plain file name such as credentials.json']})
  }
  const dir = mkdtempSync(join(tmpdir(), 'codex-vault-cred-'))
  let done = false
  const handlers = new Map<NodeJS.Signals, () => void>()

  const cleanup = () => {
    if (done) return
    done = true
    rmSync(dir, {recursive: true, force: true})
    process.off('exit', cleanup)
    for (const [signal, handler] of handlers) process.off(signal, handler)
  }

  for (const signal of CLEANUP_SIGNALS) {
    const handler = Object.assign(() => {
      // another listener (runChild's forwarder) means the child is alive and we are not dying: leave the file
      if (othersListening(signal)) return
      cleanup()
      // having caught the signal we must still die from it, as the default action would have
      process.kill(process.pid, signal)
    }, {[CLEANUP_MARK]: true})
    handlers.set(signal, handler)
    process.on(signal, handler)
  }
  process.on('exit', cleanup)

  try {
    chmodSync(dir, 0o700)
    const path = join(dir, name)
    writeFileSync(path, value, {mode: 0o600, flag: 'wx'})
    return {path, cleanup}
  } catch (error) {
    cleanup()
    throw new VaultError('INVALID_INPUT', `run: cannot write the credential file under ${tmpdir()}`, {
      cause: error,
      suggestions: ['check that TMPDIR points to a writable folder'],
    })
  }
}
