import {Flags} from '@oclif/core'

import {parseDuration} from '../../src/cli/duration.js'
import {VaultCommand} from '../../src/cli/vault-command.js'
import {approveGrant} from '../../src/permissions/grants.js'
import type {GrantRecord} from '../../src/secrets/vault-schema.js'

export default class GrantApprove extends VaultCommand<GrantRecord> {
  static override summary = 'Approve an asset to use a capability, for a limited time (and optionally a number of runs).'
  static override description = 'Each capability domain has a default and a maximum TTL (ai: 8h / 30d; payments and db: 1h / 7d; cloud: 1h / 1d; others 1h / 7d). A longer --ttl is refused, not capped. "*" may stand for a whole segment: ai.*.inference.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> --asset shop --capability ai.openai.inference --ttl 8h',
    '<%= config.bin %> <%= command.id %> --asset shop --capability payments.stripe.api --uses 3 --reason "refund script"',
  ]
  static override flags = {
    asset: Flags.string({description: 'asset name (see `codex-vault asset list`)', required: true}),
    capability: Flags.string({description: 'capability, e.g. ai.openai.inference', required: true}),
    reason: Flags.string({description: 'why (kept in the grant and the audit log)'}),
    ttl: Flags.string({description: 'how long the approval lasts (default per capability)'}),
    uses: Flags.integer({description: 'how many runs it allows (default: unlimited within the TTL)', min: 1}),
  }

  async run(): Promise<GrantRecord> {
    const {flags} = await this.parse(GrantApprove)
    const vault = await this.openVault()
    const grant = await approveGrant(vault, {
      asset: flags.asset, capability: flags.capability, ttlMs: flags.ttl ? parseDuration(flags.ttl, '--ttl') : undefined, uses: flags.uses, reason: flags.reason, now: new Date(),
    })
    this.log(`approved ${grant.id}: ${grant.asset} may use ${grant.capability} until ${grant.expires}${grant.usesLeft === null ? '' : ` (${grant.usesLeft} use(s))`}`)
    return grant
  }
}
