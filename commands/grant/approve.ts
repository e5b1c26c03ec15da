import {Flags} from '@oclif/core'

import {formatDuration, parseDuration} from '../../src/cli/duration.js'
import {VaultCommand} from '../../src/cli/vault-command.js'
import {capabilityMatches} from '../../src/permissions/capability.js'
import {approveGrant} from '../../src/permissions/grants.js'
import {ttlRule} from '../../src/permissions/ttl-policy.js'
import type {GrantRecord} from '../../src/secrets/vault-schema.js'
import {refuseKeyLikeArguments} from '../../src/cli/no-value-args.js'

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
    refuseKeyLikeArguments({'--reason': flags.reason}, 'grant approve')
    const vault = await this.openVault()
    // an empty --ttl is an error, not the default; over the capability's maximum is refused by grantTtl, which says so
    const maxText = `${formatDuration(ttlRule(flags.capability).maxMs)} for ${flags.capability}`
    const ttlMs = flags.ttl === undefined ? undefined : parseDuration(flags.ttl, '--ttl', Number.MAX_SAFE_INTEGER, maxText)
    const grant = await approveGrant(vault, {
      asset: flags.asset, capability: flags.capability, ttlMs, uses: flags.uses, reason: flags.reason, now: new Date(),
    })
    if (flags.ttl !== undefined && /^\s*\d+\s*$/.test(flags.ttl)) this.warn(`--ttl ${flags.ttl.trim()} is read as ${flags.ttl.trim()} seconds (a bare number is seconds); give a unit (m, h, d) for longer`)
    // not refused: a wildcard or a provider added later may make it useful; but say so now, not at the first denied run
    const catalog = await vault.catalog()
    if (!catalog.providers.some((provider) => provider.capabilities.some((capability) => capabilityMatches(grant.capability, capability)))) {
      this.warn(`no provider in the catalog offers ${grant.capability} yet: runs cannot use this grant until one does (see codex-vault provider list)`)
    }
    const asset = vault.body.assets.find((candidate) => candidate.name === grant.asset)
    if (asset && !asset.enabled) this.warn(`asset ${asset.name} is disabled: its runs stay denied until codex-vault asset enable ${asset.name}`)
    this.log(`approved ${grant.id}: ${grant.asset} may use ${grant.capability} until ${grant.expires}${grant.usesLeft === null ? '' : ` (${grant.usesLeft} use(s))`}`)
    return grant
  }
}
