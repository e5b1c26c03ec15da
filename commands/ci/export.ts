import {Flags} from '@oclif/core'

import {DEFAULT_CI_TTL_MS, exportForCi, type CiExportResult} from '../../src/auth/ci-export.js'
import {formatDuration, parseDuration} from '../../src/cli/duration.js'
import {VaultCommand} from '../../src/cli/vault-command.js'
import {ttlRule} from '../../src/permissions/ttl-policy.js'

export default class CiExport extends VaultCommand<CiExportResult> {
  static override summary = 'Make a separate vault for CI that holds only what one asset may use, unlocked by a key shown once.'
  static override description = `Every capability the asset is bound to must have an active grant; the export copies those grants (capped at --ttl), the secrets behind them and nothing else. In CI, set CODEX_VAULT_FILE to the file and CODEX_VAULT_KEY to the key, then \`codex-vault run --asset X -- CMD\`. The exported vault cannot approve, add secrets or export again, and denies everything after --ttl (default 7d, at most 90d). The key is printed once and stored nowhere: put it straight into your CI's secret store.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --asset shop --out .ci/shop.cv --ttl 30d',
  ]
  static override flags = {
    asset: Flags.string({description: 'asset name (see `codex-vault asset list`)', required: true}),
    out: Flags.string({description: 'the new vault file (its audit log goes beside it); must not exist', required: true}),
    ttl: Flags.string({description: 'how long the export works (default 7d, at most 90d)'}),
  }

  async run(): Promise<CiExportResult> {
    const {flags} = await this.parse(CiExport)
    const ttlMs = flags.ttl !== undefined ? parseDuration(flags.ttl, '--ttl') : DEFAULT_CI_TTL_MS
    const {lockTimeoutMs} = await this.commandEnv()
    const vault = await this.openVault()
    const result = await exportForCi(vault, {asset: flags.asset, out: flags.out, ttlMs, now: new Date(), lockTimeoutMs})
    // grants are copied with their own ends: one that ends before --ttl ends the export's usefulness
    const endsFirst = result.capabilities.filter((item) => item.expires < result.expires).sort((a, b) => a.expires.localeCompare(b.expires))
    for (const item of endsFirst) {
      const longest = Math.min(ttlRule(item.capability).maxMs, ttlMs)
      this.warn(`the grant for ${item.capability} ends at ${item.expires}, before the export does (${result.expires}): CI runs that need it are denied from then on; for longer, approve first and export again: codex-vault grant approve --asset ${result.asset} --capability ${item.capability} --ttl ${formatDuration(longest)}`)
    }
    if (!this.jsonEnabled()) {
      const usable = endsFirst.length > 0 ? `; ${endsFirst[0].capability} only until ${endsFirst[0].expires}` : ''
      this.log(`exported asset ${result.asset} to ${result.file} (until ${result.expires}${usable})`)
      for (const item of result.capabilities) this.log(`  ${item.capability}  ${item.env.join(', ')}  grant ${item.grant} until ${item.expires}`)
      this.log('')
      this.log('The key below is shown once and stored nowhere. Put it in your CI secret store as CODEX_VAULT_KEY:')
      this.log(`CODEX_VAULT_KEY=${result.key}`)
    }
    return result
  }
}
