import {Args, Flags} from '@oclif/core'

import {VaultCommand} from '../../src/cli/vault-command.js'
import {type AssetSummary, setAssetEnabled} from '../../src/registry/assets.js'
import {refuseKeyLikeArguments} from '../../src/cli/no-value-args.js'

export default class AssetEnable extends VaultCommand<AssetSummary> {
  static override summary = 'Enable a disabled asset again (lifts a kill switch for it; grants must be approved anew).'
  static override examples = ['<%= config.bin %> <%= command.id %> shop']
  static override args = {name: Args.string({description: 'asset name', required: true})}
  static override flags = {reason: Flags.string({description: 'why (kept in the audit log)'})}

  async run(): Promise<AssetSummary> {
    const {args, flags} = await this.parse(AssetEnable)
    refuseKeyLikeArguments({'--reason': flags.reason}, 'asset enable')
    const vault = await this.openVault()
    const asset = await setAssetEnabled(vault, {name: args.name, enabled: true, reason: flags.reason, now: new Date()})
    this.log(`asset ${asset.name} enabled`)
    return asset
  }
}
