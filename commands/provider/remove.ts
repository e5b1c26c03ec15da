import {Args} from '@oclif/core'

import {VaultCommand} from '../../src/cli/vault-command.js'
import {type ProviderRemoval, removeProvider} from '../../src/secrets/providers/manage.js'

export default class ProviderRemove extends VaultCommand<ProviderRemoval> {
  static override summary = 'Remove a user-defined provider (a replaced built-in comes back).'
  static override description = 'Built-in providers cannot be removed (stop one with `codex-vault kill --provider ID`). A provider that stored secrets or bound assets still use is refused, naming them: remove those secrets and change those assets first. Exact grants for its capabilities are revoked.'
  static override examples = ['<%= config.bin %> <%= command.id %> acme', '<%= config.bin %> <%= command.id %> openai --json']
  static override args = {id: Args.string({description: 'provider id (see `codex-vault provider list`)', required: true})}

  async run(): Promise<ProviderRemoval> {
    const {args} = await this.parse(ProviderRemove)
    const vault = await this.openVault()
    const result = await removeProvider(vault, {id: args.id, now: new Date()})
    this.log(`removed provider ${result.id}${result.restoredBuiltin ? ' (the built-in definition is back)' : ''}${result.grantsRevoked > 0 ? `; revoked ${result.grantsRevoked} grant(s)` : ''}`)
    return result
  }
}
