import {Args, Flags} from '@oclif/core'

import type {Evidence} from '../src/ingest/evidence.js'
import type {Leak} from '../src/ingest/leaks.js'
import type {SkipReason} from '../src/ingest/read.js'
import {canOpenVault, leakFailure, parseFileSize, renderLeaks, renderSkips, scanForCommand, uncheckedWarning} from '../src/cli/scan-command.js'
import {VaultCommand} from '../src/cli/vault-command.js'

export interface ScanCommandResult {
  evidence: Evidence[]
  leaks: Leak[]
  stats: {
    /** files read, leakOnly ones included */
    files: number
    bytes: number
    /** files checked for hard-coded secrets only: build output (dist, build, out, .next...), minified files, source maps */
    leakOnly: number
    /** everything not read: files and folders (folders end with '/') */
    skipped: number
    skippedByReason: Partial<Record<SkipReason, number>>
    /** up to 1,000 of them, those that could hold a key (too large, unreadable, binary) kept first, in walk order */
    skippedList: {file: string; reason: SkipReason; detail?: string}[]
    ms: number
  }
}

export default class Scan extends VaultCommand<ScanCommandResult> {
  static override summary = 'Read an app and report which provider keys it needs and why, plus hard-coded secrets (masked).'
  static override description = [
    'Evidence comes from manifests, imports, SDK constructors that read a key implicitly, env references and docs (weak). Honours .gitignore and .codexvaultignore: what they ignore is not scanned.',
    'Build output that is not ignored (dist, build, out, .next, .nuxt, .svelte-kit, .output, target), minified files and source maps are checked for hard-coded secrets only: a key bundled into a committed dist/app.js is a leak, but bundles are not evidence. Dependency folders (node_modules, vendor, .venv, venv) are not scanned. Files over the size limit, unreadable and binary files are not read: each is listed, and with --fail-on-leak a warning says how many could hold a key.',
    'With a session (CODEX_VAULT_SESSION) it also uses your user-defined providers and reports exact copies of the keys stored in the vault. Exit 11 with --fail-on-leak when a hard-coded secret is found.',
  ].join('\n\n')
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./app',
    '<%= config.bin %> <%= command.id %> . --fail-on-leak --json',
    '<%= config.bin %> <%= command.id %> . --fail-on-leak --max-file-size 16M',
  ]
  static override args = {path: Args.string({default: '.', description: 'the app folder'})}
  static override flags = {
    'fail-on-leak': Flags.boolean({default: false, description: 'exit 11 when a hard-coded secret is found (pre-commit, CI); warn when files that could hold one were not read'}),
    'max-file-size': Flags.string({
      default: '2M',
      description: 'files larger than this are not read (listed as skipped); e.g. 512K, 16M, at most 256M',
      env: 'CODEX_VAULT_SCAN_MAX_FILE_SIZE',
    }),
  }

  async run(): Promise<ScanCommandResult> {
    const {args, flags} = await this.parse(Scan)
    const maxFileBytes = parseFileSize(flags['max-file-size'])
    const vault = canOpenVault(process.env) ? await this.openVault() : undefined
    const scan = await scanForCommand(args.path, vault, {maxFileBytes})
    const {stats} = scan
    const result: ScanCommandResult = {
      evidence: scan.evidence,
      leaks: scan.leaks,
      stats: {files: stats.files, bytes: stats.bytes, leakOnly: stats.leakOnly, skipped: stats.skippedTotal, skippedByReason: stats.skippedByReason, skippedList: stats.skipped, ms: stats.ms},
    }
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
      const skips = renderSkips(stats)
      if (skips.length > 0) this.log(skips.join('\n'))
      const leakOnly = stats.leakOnly > 0 ? ` (${stats.leakOnly} checked for leaks only: build output, minified)` : ''
      this.log(`${stats.files} files${leakOnly}, ${(stats.bytes / 1024 / 1024).toFixed(1)} MB in ${stats.ms} ms; ${scan.evidence.length} evidence, ${scan.leaks.length} leak(s)${stats.skippedTotal > 0 ? `, ${stats.skippedTotal} not scanned` : ''}${vault ? '' : ' (vault not open: built-in providers only)'}`)
    }
    if (flags['fail-on-leak']) {
      const warning = uncheckedWarning(stats, maxFileBytes)
      if (warning) this.warn(warning)
      if (scan.leaks.length > 0) throw leakFailure(scan.leaks)
    }
    return result
  }
}
