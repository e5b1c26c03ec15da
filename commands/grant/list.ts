import {Flags} from '@oclif/core'

import {renderTable} from '../../src/cli/render-table.js'
import {VaultCommand} from '../../src/cli/vault-command.js'
import {type GrantView, listGrants} from '../../src/permissions/grants.js'

export default class GrantList extends VaultCommand<{grants: GrantView[]}> {
  static override summary = 'List grants: active ones, or all with --all (expired, revoked, used up).'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --asset shop --all --json']
  static override flags = {
    all: Flags.boolean({default: false, description: 'include expired, revoked and used-up grants'}),
    asset: Flags.string({description: 'only this asset'}),
  }

  async run(): Promise<{grants: GrantView[]}> {
    const {flags} = await this.parse(GrantList)
    const vault = await this.openVault()
    const grants = listGrants(vault.body, {asset: flags.asset, all: flags.all, now: new Date()})
    if (grants.length === 0) this.log(flags.all ? 'no grants' : 'no active grants (use --all to see ended ones)')
    else this.log(renderTable(['id', 'asset', 'capability', 'state', 'expires', 'uses left', 'reason'], grants.map((g) => [
      g.id, g.asset, g.capability, g.state, g.expires.slice(0, 19), g.usesLeft === null ? '-' : String(g.usesLeft), g.reason ?? '',
    ])))
    return {grants}
  }
}
