import {Args, Flags} from '@oclif/core'

import type {Evidence} from '../src/ingest/evidence.js'
import type {Leak} from '../src/ingest/leaks.js'
import {canOpenVault, leakFailure, renderLeaks, scanForCommand} from '../src/cli/scan-command.js'
import {VaultCommand} from '../src/cli/vault-command.js'

export interface ScanCommandResult {
  evidence: Evidence[]
  leaks: Leak[]
  stats: {files: number; bytes: number; skipped: number; ms: number}
}

export default class Scan extends VaultCommand<ScanCommandResult> {
  static override summary = 'Read an app and report which provider keys it needs and why, plus hard-coded secrets (masked).'
  static override description = 'Evidence comes from manifests, imports, SDK constructors that read a key implicitly, env references and docs (weak). Honours .gitignore and .codexvaultignore. With a session (CODEX_VAULT_SESSION) it also uses your user-defined providers and reports exact copies of the keys stored in the vault. Exit 11 with --fail-on-leak when a hard-coded secret is found.'
  static override examples = ['<%= config.bin %> <%= command.id %> ./app', '<%= config.bin %> <%= command.id %> . --fail-on-leak --json']
  static override args = {path: Args.string({default: '.', description: 'the app folder'})}
  static override flags = {'fail-on-leak': Flags.boolean({default: false, description: 'exit 11 when a hard-coded secret is found (pre-commit, CI)'})}

  async run(): Promise<ScanCommandResult> {
    const {args, flags} = await this.parse(Scan)
    const vault = canOpenVault(process.env) ? await this.openVault() : undefined
    const scan = await scanForCommand(args.path, vault)
    const result = {evidence: scan.evidence, leaks: scan.leaks, stats: {files: scan.stats.files, bytes: scan.stats.bytes, skipped: scan.stats.skippedTotal, ms: scan.stats.ms}}
    if (!this.jsonEnabled()) {
      const byProvider = new Map<string, Evidence[]>()
      for (const item of scan.evidence) {
        const key = item.provider ?? '(app variables)'
        byProvider.set(key, [...(byProvider.get(key) ?? []), item])
      }
      for (const [provider, items] of [...byProvider].sort(([a], [b]) => a.localeCompare(b))) {
        this.log(provider)
        for (const item of items.slice(0, 20)) this.log(`  ${item.file}:${item.line}  ${item.kind}${item.env ? `  ${item.env}` : ''}${item.detail ? `  ${item.detail}` : ''}  [${item.strength}]`)
        if (items.length > 20) this.log(`  … ${items.length - 20} more`)
      }
      if (scan.leaks.length > 0) this.log(`hard-coded secrets:\n${renderLeaks(scan.leaks).join('\n')}`)
      this.log(`${scan.stats.files} files, ${(scan.stats.bytes / 1024 / 1024).toFixed(1)} MB in ${scan.stats.ms} ms; ${scan.evidence.length} evidence, ${scan.leaks.length} leak(s)${vault ? '' : ' (vault not open: built-in providers only)'}`)
    }
    if (flags['fail-on-leak'] && scan.leaks.length > 0) throw leakFailure(scan.leaks)
    return result
  }
}
