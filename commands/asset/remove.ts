import {Args} from '@oclif/core'

import {VaultCommand} from '../../src/cli/vault-command.js'
import {removeAsset} from '../../src/registry/assets.js'

export default class AssetRemove extends VaultCommand<{name: string; grantsRevoked: number}> {
  static override summary = 'Remove an asset and its grants from the registry (the audit log keeps its history).'
  static override examples = ['<%= config.bin %> <%= command.id %> shop']
  static override args = {name: Args.string({description: 'asset name', required: true})}

  async run(): Promise<{name: string; grantsRevoked: number}> {
    const {args} = await this.parse(AssetRemove)
    const vault = await this.openVault()
    const result = await removeAsset(vault, {name: args.name})
    this.log(`removed asset ${result.name} and ${result.grantsRevoked} grant(s)`)
    return result
  }
}
