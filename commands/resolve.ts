import {Args, Flags} from '@oclif/core'

import {resolve, type ResolveResult} from '../src/ingest/resolver.js'
import {loadCatalog} from '../src/secrets/providers/catalog.js'
import {canOpenVault, leakFailure, parseFileSize, renderCapabilities, renderLeaks, scanForCommand, uncheckedWarning} from '../src/cli/scan-command.js'
import {VaultCommand} from '../src/cli/vault-command.js'

export default class Resolve extends VaultCommand<ResolveResult> {
  static override summary = 'Show the capability plan that `bind` would record, with confidence and evidence.'
  static override description = 'Confidence: required (the SDK is used), likely (declared or configured but not seen in use), mentioned (docs and comments only; never injected by default). Monorepos are split per app at the nearest manifest.'
  static override examples = ['<%= config.bin %> <%= command.id %> ./app', '<%= config.bin %> <%= command.id %> . --json']
  static override args = {path: Args.string({default: '.', description: 'the app folder'})}
  static override flags = {
    'fail-on-leak': Flags.boolean({default: false, description: 'exit 11 when a hard-coded secret is found; warn when files that could hold one were not read'}),
    'max-file-size': Flags.string({
      default: '2M',
      description: 'files larger than this are not read; e.g. 512K, 16M, at most 256M',
      env: 'CODEX_VAULT_SCAN_MAX_FILE_SIZE',
    }),
  }

  async run(): Promise<ResolveResult> {
    const {args, flags} = await this.parse(Resolve)
    const maxFileBytes = parseFileSize(flags['max-file-size'])
    const vault = canOpenVault(process.env) ? await this.openVault() : undefined
    const scan = await scanForCommand(args.path, vault, {maxFileBytes})
    const providers = vault ? (await vault.catalog()).providers : loadCatalog([]).providers
    const result = resolve(scan, providers)
    if (!this.jsonEnabled()) {
      for (const app of result.apps) {
        this.log(`${app.path}${app.name ? ` (${app.name})` : ''}`)
        this.log(app.capabilities.length === 0 ? '  no provider capabilities found' : renderCapabilities(app.capabilities).join('\n'))
      }
      if (result.leaks.length > 0) this.log(`hard-coded secrets:\n${renderLeaks(result.leaks).join('\n')}`)
      if (scan.stats.skippedTotal > 0) this.log(`${scan.stats.skippedTotal} file(s) or folder(s) not scanned: \`codex-vault scan ${args.path}\` lists them`)
    }
    if (flags['fail-on-leak']) {
      const warning = uncheckedWarning(scan.stats, maxFileBytes)
      if (warning) this.warn(warning)
      if (result.leaks.length > 0) throw leakFailure(result.leaks)
    }
    return result
  }
}
