import {Args, Flags} from '@oclif/core'

import {refuseKeyLikeArguments} from '../../src/cli/no-value-args.js'
import {VaultCommand} from '../../src/cli/vault-command.js'
import {removeSecret, type SecretInfo} from '../../src/secrets/store.js'

export default class SecretRemove extends VaultCommand<SecretInfo> {
  static override summary = 'Delete a stored key.'
  static override examples = ['<%= config.bin %> <%= command.id %> openai']
  static override args = {provider: Args.string({description: 'provider id', required: true})}
  static override flags = {env: Flags.string({description: 'which of the provider\'s secrets, when it has several'})}

  async run(): Promise<SecretInfo> {
    const {args, flags} = await this.parse(SecretRemove)
    refuseKeyLikeArguments({PROVIDER: args.provider, '--env': flags.env}, 'secret remove')
    const vault = await this.openVault()
    const removed = await removeSecret(vault, {provider: args.provider, env: flags.env})
    this.log(`removed ${removed.provider} ${removed.env} (version ${removed.version}, fingerprint ${removed.fingerprint})`)
    return removed
  }
}
