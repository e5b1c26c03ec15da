import {Flags} from '@oclif/core'

import {readPassphrase} from '../src/auth/passphrase.js'
import {changePassphrase, type PasswdResult} from '../src/auth/rekey.js'
import {usageError} from '../src/cli/errors.js'
import {VaultCommand} from '../src/cli/vault-command.js'
import {wipe} from '../src/secrets/crypto.js'

export default class Passwd extends VaultCommand<PasswdResult> {
  static override summary = 'Change the passphrase (the data key is rewrapped; nothing else changes).'
  static override description = 'The vault opens with the current session or passphrase; the new passphrase is asked twice on a terminal, or read from stdin with --new-passphrase-stdin.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    'printf %s "$NEW" | CODEX_VAULT_SESSION=... <%= config.bin %> <%= command.id %> --new-passphrase-stdin',
  ]
  static override flags = {
    kdf: Flags.string({description: 'also change the Argon2id cost', options: ['moderate', 'interactive']}),
    'new-passphrase-stdin': Flags.boolean({default: false, description: 'read the new passphrase from stdin'}),
  }

  async run(): Promise<PasswdResult> {
    const {flags} = await this.parse(Passwd)
    const env = await this.commandEnv()
    if (flags['new-passphrase-stdin'] && env.fromStdin) throw usageError('--passphrase-stdin and --new-passphrase-stdin cannot both read stdin', ['open the vault with a session (CODEX_VAULT_SESSION) instead'])
    const vault = await this.openVault()
    // the same reader as for any passphrase (secure memory, minimum length), never the old one's env variable
    const newPassphrase = await readPassphrase({...env, env: {}, fromStdin: flags['new-passphrase-stdin']}, {purpose: 'new passphrase', confirm: true, missingCode: 'USAGE'})
    try {
      const result = await changePassphrase(vault, {newPassphrase, kdf: flags.kdf as 'moderate' | 'interactive' | undefined})
      this.log('passphrase changed; sessions stay valid')
      return result
    } finally {
      wipe(newPassphrase)
    }
  }
}
