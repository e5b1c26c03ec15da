import {Args, Flags} from '@oclif/core'

import {renderCapabilities, scanForCommand} from '../src/cli/scan-command.js'
import {VaultCommand} from '../src/cli/vault-command.js'
import {type BindingResult, bindWithPolicy, describeIdentityChange} from '../src/registry/binding.js'

export default class Bind extends VaultCommand<BindingResult> {
  static override summary = 'Scan an app and register (or update) it as an asset with the capabilities it needs.'
  static override description = 'On a re-bind the difference from the earlier binding is shown (added, removed, changed evidence). Manual overrides (--capability, --exclude-capability) are kept apart from what the scan finds, so a rescan never loses them; --reset-overrides drops them. An override must name a capability some provider offers (an exclude may be a pattern such as ai.*.inference). An existing asset is not moved to another folder, package name or git remote without --force: its grants would then cover that code.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./app --name shop',
    '<%= config.bin %> <%= command.id %> ./app --name shop --capability payments.stripe.api --exclude-capability ai.openai.files',
    '<%= config.bin %> <%= command.id %> ./app --name shop --reset-overrides',
    '<%= config.bin %> <%= command.id %> ./app-moved --name shop --force',
  ]
  static override args = {path: Args.string({default: '.', description: 'the app folder'})}
  static override flags = {
    capability: Flags.string({description: 'always include this capability (kept across rescans)', multiple: true, default: []}),
    'exclude-capability': Flags.string({description: 'never include this capability or pattern (kept across rescans)', multiple: true, default: []}),
    force: Flags.boolean({default: false, description: 'let an existing asset move to another folder, package name or git remote (its grants go with it)'}),
    name: Flags.string({description: 'asset name', required: true}),
    owner: Flags.string({description: 'owner (default: the current OS user)'}),
    'reset-overrides': Flags.boolean({default: false, description: 'drop the asset\'s earlier --capability / --exclude-capability overrides (then apply the ones given now)'}),
  }

  async run(): Promise<BindingResult> {
    const {args, flags} = await this.parse(Bind)
    const vault = await this.openVault()
    const scan = await scanForCommand(args.path, vault)
    const result = await bindWithPolicy(vault, {
      name: flags.name, scan, include: flags.capability, exclude: flags['exclude-capability'], owner: flags.owner, now: new Date(),
      force: flags.force, resetOverrides: flags['reset-overrides'],
    })
    this.log(`${result.created ? 'bound' : 'updated'} asset ${result.asset} -> ${result.path}`)
    if (result.resolved.length > 0) this.log(renderCapabilities(result.resolved).join('\n'))
    if (result.overrides.include.length > 0) this.log(`  always included: ${result.overrides.include.join(', ')}`)
    if (result.overrides.exclude.length > 0) this.log(`  excluded: ${result.overrides.exclude.join(', ')}`)
    if (!result.created) {
      const {diff} = result
      const identity = diff.identity ? describeIdentityChange(diff.identity) : []
      this.log(identity.length + diff.added.length + diff.removed.length + diff.changed.length === 0 ? 'no change from the earlier binding' : [
        ...identity.map((line) => `  ~ ${line}`),
        ...diff.added.map((c) => `  + ${c}`), ...diff.removed.map((c) => `  - ${c}`), ...diff.changed.map((c) => `  ~ ${c.capability}: ${c.from} -> ${c.to}`),
      ].join('\n'))
      if (diff.identity?.path) this.warn(`asset ${result.asset} now points at ${diff.identity.path.to}: its grants cover the code there`)
    }
    this.log(`injected by default on run: ${result.capabilities.join(', ') || '(nothing)'}`)
    if (result.leaks > 0) this.warn(`${result.leaks} hard-coded secret(s) in ${result.path}: run \`codex-vault scan ${args.path}\``)
    return result
  }
}
