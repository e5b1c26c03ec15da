import {Args, Flags} from '@oclif/core'

import {VaultCommand} from '../../src/cli/vault-command.js'
import {revokeGrants} from '../../src/permissions/grants.js'
import {refuseKeyLikeArguments} from '../../src/cli/no-value-args.js'

export default class GrantRevoke extends VaultCommand<{revoked: string[]}> {
  static override summary = 'Revoke a grant by id, or every grant of an asset (optionally one capability).'
  static override examples = ['<%= config.bin %> <%= command.id %> g_AbCdEfGh', '<%= config.bin %> <%= command.id %> --asset shop --capability ai.openai.inference']
  static override args = {id: Args.string({description: 'grant id'})}
  static override flags = {
    asset: Flags.string({description: 'revoke this asset\'s grants', exclusive: ['id']}),
    capability: Flags.string({description: 'only grants for this capability', dependsOn: ['asset']}),
    reason: Flags.string({description: 'why (kept in the audit log)'}),
  }

  async run(): Promise<{revoked: string[]}> {
    const {args, flags} = await this.parse(GrantRevoke)
    refuseKeyLikeArguments({'--reason': flags.reason}, 'grant revoke')
    const vault = await this.openVault()
    const revoked = await revokeGrants(vault, {id: args.id, asset: flags.asset, capability: flags.capability, reason: flags.reason, now: new Date()})
    this.log(revoked.length === 0 ? 'nothing to revoke: no live grant matched (expired, used-up and revoked grants keep how they ended)' : `revoked ${revoked.join(', ')}`)
    return {revoked}
  }
}
