import {Flags} from '@oclif/core'

import {startSession, type UnlockResult} from '../src/auth/sessions.js'
import {parseDuration} from '../src/cli/duration.js'
import {VaultCommand} from '../src/cli/vault-command.js'

const MAX_SESSION_MS = 7 * 86_400_000

export default class Unlock extends VaultCommand<UnlockResult> {
  static override summary = 'Start a session: print a token that unlocks the vault for a while.'
  static override description = 'Prints `export CODEX_VAULT_SESSION=...` so that `eval "$(codex-vault unlock)"` works in a shell; --raw prints the token alone. The token is never accepted as an argument: commands read it from the CODEX_VAULT_SESSION environment variable.'
  static override examples = [
    'eval "$(<%= config.bin %> <%= command.id %> --ttl 8h)"',
    'export CODEX_VAULT_SESSION="$(<%= config.bin %> <%= command.id %> --raw --passphrase-stdin < pass.txt)"',
    'CODEX_VAULT_SESSION="$(<%= config.bin %> <%= command.id %> --run-only --raw --ttl 4h)" claude   # a coding agent that can run apps, not approve',
  ]
  static override flags = {
    raw: Flags.boolean({default: false, description: 'print the token alone'}),
    ttl: Flags.string({default: '1h', description: 'how long the session lasts (max 7d)'}),
    'run-only': Flags.boolean({default: false, description: 'a session for a coding agent: it may run apps and look, but not approve grants, change secrets or providers, export, use --no-mask or answer run\'s approval prompt'}),
  }

  async run(): Promise<UnlockResult> {
    const {flags} = await this.parse(Unlock)
    const ttlMs = parseDuration(flags.ttl, '--ttl', MAX_SESSION_MS)
    // unlock always asks for the passphrase: a session must not extend itself
    const vault = await this.openVault({ignoreSession: true})
    const result = await startSession(vault, {env: process.env, ttlMs, now: new Date(), ...(flags['run-only'] ? {scope: 'run' as const} : {})})
    if (!this.jsonEnabled()) {
      process.stdout.write(flags.raw ? `${result.token}\n` : `export CODEX_VAULT_SESSION=${result.token}\n`)
      process.stderr.write(`codex-vault: ${flags['run-only'] ? 'run-only ' : ''}session ${result.sessionId.slice(0, 8)} unlocked until ${result.expiresAt}\n`)
    }
    return result
  }
}
