import {Args, Flags} from '@oclif/core'

import {VaultCommand} from '../../src/cli/vault-command.js'
import {type AssetSummary, setAssetEnabled} from '../../src/registry/assets.js'
import {refuseKeyLikeArguments} from '../../src/cli/no-value-args.js'

export default class AssetDisable extends VaultCommand<AssetSummary> {
  static override summary = 'Disable an asset: every run of it is denied until it is enabled again.'
  static override examples = ['<%= config.bin %> <%= command.id %> shop']
  static override args = {name: Args.string({description: 'asset name', required: true})}
  static override flags = {reason: Flags.string({description: 'why (kept in the audit log)'})}

  async run(): Promise<AssetSummary> {
    const {args, flags} = await this.parse(AssetDisable)
    refuseKeyLikeArguments({'--reason': flags.reason}, 'asset disable')
    const vault = await this.openVault()
    const asset = await setAssetEnabled(vault, {name: args.name, enabled: false, reason: flags.reason, now: new Date()})
    this.log(`asset ${asset.name} disabled`)
    return asset
  }
}
