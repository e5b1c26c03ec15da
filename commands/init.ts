import {Flags} from '@oclif/core'

import {assertNoVault, initVault, type InitResult} from '../src/auth/init-vault.js'
import {readPassphrase} from '../src/auth/passphrase.js'
import {wipe} from '../src/secrets/crypto.js'
import {VaultCommand} from '../src/cli/vault-command.js'

export default class Init extends VaultCommand<InitResult> {
  static override summary = 'Create a new encrypted vault.'
  static override description = 'The passphrase is asked twice on a terminal, or read from stdin with --passphrase-stdin (or CODEX_VAULT_PASSPHRASE, with a warning). It never comes from an argument.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    'printf %s "$PASSPHRASE" | <%= config.bin %> <%= command.id %> --passphrase-stdin --kdf interactive',
  ]
  static override flags = {
    kdf: Flags.string({
      default: 'moderate',
      description: 'Argon2id cost: moderate (3 passes, 256 MiB; laptops) or interactive (2 passes, 64 MiB; CI)',
      options: ['moderate', 'interactive'],
    }),
  }

  async run(): Promise<InitResult> {
    const {flags} = await this.parse(Init)
    const env = await this.commandEnv()
    assertNoVault(env.vaultPath)
    const passphrase = await readPassphrase(env, {purpose: 'new vault passphrase', confirm: true, missingCode: 'USAGE'})
    try {
      const result = await initVault({vaultPath: env.vaultPath, passphrase, kdf: flags.kdf as 'moderate' | 'interactive', now: env.now(), lockTimeoutMs: env.lockTimeoutMs})
      this.log(`created vault ${result.vault} (kdf ${result.kdf})`)
      this.log(`audit log ${result.audit}`)
      this.log('next: eval "$(codex-vault unlock)" to start a session')
      return result
    } finally {
      wipe(passphrase)
    }
  }
}
