/** Where a secret value comes from: a hidden prompt on a terminal, else stdin. Never argv. */
import {promptHidden, readAllStdin} from '../auth/passphrase.js'
import {VaultError} from '../cli/errors.js'
import {wipe} from './crypto.js'
import {normaliseSecretInput} from './secret-value.js'

const MAX_SECRET_BYTES = 64 * 1024

export async function readSecretValue(options: {stdin: NodeJS.ReadStream; stderr: NodeJS.WriteStream; prompt: string; stdinTaken: boolean}): Promise<string> {
  if (options.stdin.isTTY && typeof options.stdin.setRawMode === 'function') {
    const typed = await promptHidden(options.stdin, options.stderr, options.prompt)
    try {
      return normaliseSecretInput(typed)
    } finally {
      wipe(typed)
    }
  }
  if (options.stdinTaken) {
    throw new VaultError('USAGE', 'stdin carries the passphrase (--passphrase-stdin), so it cannot also carry the secret', {
      suggestions: ['start a session first: eval "$(codex-vault unlock)", then pipe the secret in'],
    })
  }
  const raw = await readAllStdin(options.stdin, MAX_SECRET_BYTES)
  try {
    return normaliseSecretInput(raw)
  } finally {
    wipe(raw)
  }
}
