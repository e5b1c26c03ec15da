import {Args, Flags} from '@oclif/core'

import {bindAsset, type BindResult} from '../src/ingest/binder.js'
import {renderCapabilities, scanForCommand} from '../src/cli/scan-command.js'
import {VaultCommand} from '../src/cli/vault-command.js'

export default class Bind extends VaultCommand<BindResult> {
  static override summary = 'Scan an app and register (or update) it as an asset with the capabilities it needs.'
  static override description = 'On a re-bind the difference from the earlier binding is shown (added, removed, changed evidence). Manual overrides (--capability, --exclude-capability) are kept apart from what the scan finds, so a rescan never loses them.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./app --name shop',
    '<%= config.bin %> <%= command.id %> ./app --name shop --capability payments.stripe.api --exclude-capability ai.openai.files',
  ]
  static override args = {path: Args.string({default: '.', description: 'the app folder'})}
  static override flags = {
    capability: Flags.string({description: 'always include this capability (kept across rescans)', multiple: true, default: []}),
    'exclude-capability': Flags.string({description: 'never include this capability (kept across rescans)', multiple: true, default: []}),
    name: Flags.string({description: 'asset name', required: true}),
    owner: Flags.string({description: 'owner (default: the current OS user)'}),
  }

  async run(): Promise<BindResult> {
    const {args, flags} = await this.parse(Bind)
    const vault = await this.openVault()
    const scan = await scanForCommand(args.path, vault)
    const result = await bindAsset(vault, {name: flags.name, scan, include: flags.capability, exclude: flags['exclude-capability'], owner: flags.owner, now: new Date()})
    this.log(`${result.created ? 'bound' : 'updated'} asset ${result.asset} -> ${result.path}`)
    if (result.resolved.length > 0) this.log(renderCapabilities(result.resolved).join('\n'))
    if (result.overrides.include.length > 0) this.log(`  always included: ${result.overrides.include.join(', ')}`)
    if (result.overrides.exclude.length > 0) this.log(`  excluded: ${result.overrides.exclude.join(', ')}`)
    if (!result.created) {
      const {diff} = result
      this.log(diff.added.length + diff.removed.length + diff.changed.length === 0 ? 'no change from the earlier binding' : [
        ...diff.added.map((c) => `  + ${c}`), ...diff.removed.map((c) => `  - ${c}`), ...diff.changed.map((c) => `  ~ ${c.capability}: ${c.from} -> ${c.to}`),
      ].join('\n'))
    }
    this.log(`injected by default on run: ${result.capabilities.join(', ') || '(nothing)'}`)
    if (result.leaks > 0) this.warn(`${result.leaks} hard-coded secret(s) in ${result.path}: run \`codex-vault scan ${args.path}\``)
    return result
  }
}
