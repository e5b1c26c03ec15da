import {readPassphrase} from '../src/auth/passphrase.js'
import {rekeyVault, type RekeyResult} from '../src/auth/rekey.js'
import {VaultCommand} from '../src/cli/vault-command.js'
import {wipe} from '../src/secrets/crypto.js'

export default class Rekey extends VaultCommand<RekeyResult> {
  static override summary = 'New data key: re-encrypt everything and end every session.'
  static override description = 'The only cryptographic revocation: a copied session file and token become useless. Needs the passphrase (a session alone cannot wrap the new key).'
  static override examples = ['<%= config.bin %> <%= command.id %>', 'printf %s "$PASSPHRASE" | <%= config.bin %> <%= command.id %> --passphrase-stdin']

  async run(): Promise<RekeyResult> {
    const env = await this.commandEnv()
    const passphrase = await readPassphrase(env, {purpose: 'vault passphrase', requiredBy: 'rekey'})
    try {
      const vault = await this.openVault({passphrase})
      const result = await rekeyVault(vault, {passphrase, env: process.env})
      this.log(`rekeyed: ${result.secrets} secret(s) re-encrypted, ${result.sessionsEnded} session(s) ended`)
      return result
    } finally {
      wipe(passphrase)
    }
  }
}
