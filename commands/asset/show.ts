import {Args} from '@oclif/core'

import {renderCapabilities} from '../../src/cli/scan-command.js'
import {VaultCommand} from '../../src/cli/vault-command.js'
import {listGrants} from '../../src/permissions/grants.js'
import {boundCapabilities, requireAsset} from '../../src/registry/assets.js'
import type {AssetRecord, GrantRecord} from '../../src/secrets/vault-schema.js'

export default class AssetShow extends VaultCommand<{asset: AssetRecord; injectedByDefault: string[]; grants: GrantRecord[]}> {
  static override summary = 'Show one asset: identity, owner, resolved capabilities with evidence, overrides, active grants.'
  static override examples = ['<%= config.bin %> <%= command.id %> shop']
  static override args = {name: Args.string({description: 'asset name', required: true})}

  async run(): Promise<{asset: AssetRecord; injectedByDefault: string[]; grants: GrantRecord[]}> {
    const {args} = await this.parse(AssetShow)
    const vault = await this.openVault()
    const asset = requireAsset(vault.body, args.name)
    const grants = listGrants(vault.body, {asset: asset.name, all: false, now: new Date()})
    this.log(`asset      ${asset.name} (${asset.enabled ? 'enabled' : `disabled${asset.disabledReason ? `: ${asset.disabledReason}` : ''}`})`)
    this.log(`path       ${asset.path}`)
    this.log(`owner      ${asset.owner}`)
    this.log(`identity   ${[asset.identity.packageName, asset.identity.gitRemote, asset.identity.fingerprint].filter(Boolean).join('  ')}`)
    this.log('resolved')
    this.log(renderCapabilities(asset.capabilities as Parameters<typeof renderCapabilities>[0], '  ').join('\n') || '  (nothing)')
    this.log(`overrides  include: ${asset.overrides.include.join(', ') || '-'}; exclude: ${asset.overrides.exclude.join(', ') || '-'}`)
    this.log(`injected   ${boundCapabilities(asset).join(', ') || '(nothing)'}`)
    this.log(`grants     ${grants.map((g) => `${g.capability} until ${g.expires}`).join('; ') || 'none active'}`)
    return {asset, injectedByDefault: boundCapabilities(asset), grants}
  }
}
