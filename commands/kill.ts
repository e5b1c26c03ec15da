import {Flags} from '@oclif/core'

import {VaultCommand} from '../src/cli/vault-command.js'
import {type KillResult, killSwitch} from '../src/runtime/kill-switch.js'
import {refuseKeyLikeArguments} from '../src/cli/no-value-args.js'

export default class Kill extends VaultCommand<KillResult> {
  static override summary = 'Kill switch: revoke grants, disable the asset or provider, and stop its live runs within 2 s.'
  static override description = 'Lifted only explicitly: `asset enable X` for an asset, a new `grant approve` for a provider\'s capability. --all also ends every session.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> --asset shop --reason "key leaked in a log"',
    '<%= config.bin %> <%= command.id %> --provider openai',
    '<%= config.bin %> <%= command.id %> --all',
  ]
  static override flags = {
    all: Flags.boolean({default: false, description: 'every grant, every live run, every session', exclusive: ['asset', 'provider']}),
    asset: Flags.string({description: 'this asset', exclusive: ['provider', 'all']}),
    provider: Flags.string({description: 'this provider (id)', exclusive: ['asset', 'all']}),
    reason: Flags.string({description: 'why (kept in the audit log)'}),
  }

  async run(): Promise<KillResult> {
    const {flags} = await this.parse(Kill)
    refuseKeyLikeArguments({'--reason': flags.reason}, 'kill')
    const vault = await this.openVault()
    const result = await killSwitch(vault, {asset: flags.asset, provider: flags.provider, all: flags.all, reason: flags.reason, env: process.env, now: new Date()})
    this.log(`killed ${result.target}: ${result.grantsRevoked.length} grant(s) revoked, ${result.runsStopped.length} live run(s) stopped${flags.all ? `, ${result.sessionsEnded} session(s) ended` : ''}`)
    if (flags.asset) this.log(`lift it with: codex-vault asset enable ${flags.asset} (and approve grants again)`)
    if (flags.provider) this.log(`lift it by approving a grant for one of its capabilities again`)
    if (flags.all) this.log('lift it with: codex-vault unlock (every session was ended), then approve grants again: codex-vault grant approve --asset X --capability C')
    return result
  }
}
