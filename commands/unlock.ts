import {Flags} from '@oclif/core'

import {type ClockReset, resetVaultClock} from '../src/auth/clock-reset.js'
import {readPassphrase} from '../src/auth/passphrase.js'
import {startSession, type UnlockResult} from '../src/auth/sessions.js'
import {parseDuration} from '../src/cli/duration.js'
import {VaultCommand} from '../src/cli/vault-command.js'
import {wipe} from '../src/secrets/crypto.js'

const MAX_SESSION_MS = 7 * 86_400_000

export type UnlockCommandResult = UnlockResult & {clockReset?: ClockReset}

export default class Unlock extends VaultCommand<UnlockCommandResult> {
  static override summary = 'Start a session: print a token that unlocks the vault for a while.'
  static override description = 'Prints `export CODEX_VAULT_SESSION=...` so that `eval "$(codex-vault unlock)"` works in a shell; --raw prints the token alone. The token is never accepted as an argument: commands read it from the CODEX_VAULT_SESSION environment variable.'
  static override examples = [
    'eval "$(<%= config.bin %> <%= command.id %> --ttl 8h)"',
    'export CODEX_VAULT_SESSION="$(<%= config.bin %> <%= command.id %> --raw --passphrase-stdin < pass.txt)"',
    'CODEX_VAULT_SESSION="$(<%= config.bin %> <%= command.id %> --run-only --raw --ttl 4h)" claude   # a coding agent that can run apps, not approve',
    'eval "$(<%= config.bin %> <%= command.id %> --reset-clock)"   # the clock is right, but the vault once saw a wrong future time',
  ]
  static override flags = {
    raw: Flags.boolean({default: false, description: 'print the token alone'}),
    'reset-clock': Flags.boolean({
      default: false,
      description: 'the clock is right but the vault once saw a wrong future time (every command fails with exit 6): set the vault\'s last-seen time to now, audited, then unlock. Needs the passphrase; refused with a run-only session in the environment',
    }),
    ttl: Flags.string({default: '1h', description: 'how long the session lasts (max 7d)'}),
    'run-only': Flags.boolean({default: false, description: 'a session for a coding agent: it may run apps and look, but not approve grants, change secrets or providers, export, use --no-mask or answer run\'s approval prompt'}),
  }

  async run(): Promise<UnlockCommandResult> {
    const {flags} = await this.parse(Unlock)
    const ttlMs = parseDuration(flags.ttl, '--ttl', MAX_SESSION_MS)
    const scope = flags['run-only'] ? {scope: 'run' as const} : {}
    let result: UnlockCommandResult
    if (flags['reset-clock']) {
      // read here, not in boot: the reset must come from the passphrase itself, never a session or a ci key
      const passphrase = await readPassphrase(await this.commandEnv(), {purpose: 'vault passphrase', requiredBy: 'unlock --reset-clock'})
      try {
        const vault = await this.openVault({ignoreSession: true, passphrase, resetClock: true})
        const clockReset = await resetVaultClock(vault, process.env)
        result = {...await startSession(vault, {env: process.env, ttlMs, now: new Date(), ...scope}), clockReset}
      } finally {
        wipe(passphrase)
      }
      if (!this.jsonEnabled()) process.stderr.write(`codex-vault: clock reset: the vault's last-seen time moved from ${result.clockReset!.previous} to ${result.clockReset!.lastSeen}${result.clockReset!.sessionsEnded > 0 ? `; ${result.clockReset!.sessionsEnded} session(s) started under the wrong clock ended` : ''} (audited as clock.reset)\n`)
    } else {
      // unlock always asks for the passphrase: a session must not extend itself
      const vault = await this.openVault({ignoreSession: true})
      result = await startSession(vault, {env: process.env, ttlMs, now: new Date(), ...scope})
    }
    if (!this.jsonEnabled()) {
      process.stdout.write(flags.raw ? `${result.token}\n` : `export CODEX_VAULT_SESSION=${result.token}\n`)
      process.stderr.write(`codex-vault: ${flags['run-only'] ? 'run-only ' : ''}session ${result.sessionId.slice(0, 8)} unlocked until ${result.expiresAt}\n`)
    }
    return result
  }
}
