import {Flags} from '@oclif/core'

import type {AuditRecord} from '../../src/audit/events.js'
import {followAudit, parseSince, tailAudit, type TailResult} from '../../src/audit/query.js'
import {renderAuditRecord} from '../../src/cli/render-audit.js'
import {VaultCommand} from '../../src/cli/vault-command.js'

export default class AuditTail extends VaultCommand<TailResult> {
  static override summary = 'Show the newest audit events: who got which key, when, and whether it was allowed.'
  static override description = 'Human-readable lines by default; with --json one JSON document (or, with --follow, one JSON object per line). --follow keeps printing new events until interrupted.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -n 50 --asset shop --type run',
    '<%= config.bin %> <%= command.id %> --since 1h --follow',
  ]
  static override flags = {
    asset: Flags.string({description: 'only events about this asset'}),
    follow: Flags.boolean({char: 'f', default: false, description: 'keep printing new events until interrupted'}),
    lines: Flags.integer({char: 'n', default: 20, description: 'how many events'}),
    since: Flags.string({description: 'only events since a date (2026-11-01) or a duration ago (1h, 7d)'}),
    type: Flags.string({description: 'only this event type, or a prefix: run matches run.allow, run.exit, ...'}),
  }

  async run(): Promise<TailResult> {
    const {flags} = await this.parse(AuditTail)
    const vault = await this.openVault()
    const query = {asset: flags.asset, type: flags.type, since: flags.since ? parseSince(flags.since, new Date()) : undefined}
    const result = tailAudit(vault.audit, {limit: flags.lines, ...query})
    const {records} = result
    if (result.missingSegment !== undefined) {
      // the records shown are genuine, but older ones are gone: say so rather than look complete
      this.warn(`audit segment ${result.missingSegment} is missing, so older events cannot be shown; run \`codex-vault audit verify\` to check the log`)
    }
    const json = this.jsonEnabled()
    if (!flags.follow) {
      if (!json) for (const record of records) this.log(renderAuditRecord(record))
      return result
    }
    const emit = (record: AuditRecord) => process.stdout.write(json ? `${JSON.stringify(record)}\n` : `${renderAuditRecord(record)}\n`)
    for (const record of records) emit(record)
    const controller = new AbortController()
    const stop = () => controller.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    await followAudit(vault.audit, vault.audit.head(), query, emit, controller.signal)
    process.exit(0)
  }
}
