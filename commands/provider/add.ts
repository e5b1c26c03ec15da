import {Args, Flags} from '@oclif/core'

import {VaultCommand} from '../../src/cli/vault-command.js'
import {addProviders, type ProviderAddResult} from '../../src/secrets/providers/manage.js'

export default class ProviderAdd extends VaultCommand<ProviderAddResult> {
  static override summary = 'Add or replace user-defined providers from a JSON file (validated strictly).'
  static override description = 'The file holds one provider object or a list: {"id","name","capabilities":["<domain>.<provider>.<action>"],"env":["PRIMARY_ENV"],"keyFormats":[{"id","pattern","keywords"}],"detect":{...},"baseUrls":[...]}. Unknown fields, bad regexes, patterns that could hang scan (nested quantifiers, backreferences), malformed capabilities and env names `run` refuses to inject (PATH, NODE_OPTIONS, LD_*, ...) are refused with the field named; the catalog is then unchanged. A file with the id of a built-in provider is refused unless --replace-builtin is given: the file then takes the place of the built-in definition (its upstream, env names, key formats and detection) until `provider remove ID` restores it.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./my-provider.json',
    '<%= config.bin %> <%= command.id %> ./openai-via-corporate-gateway.json --replace-builtin',
  ]
  static override args = {file: Args.string({description: 'provider JSON file', required: true})}
  static override flags = {
    'replace-builtin': Flags.boolean({default: false, description: 'let a provider with a built-in id replace the built-in definition (shown and audited)'}),
  }

  async run(): Promise<ProviderAddResult> {
    const {args, flags} = await this.parse(ProviderAdd)
    const vault = await this.openVault()
    const result = await addProviders(vault, args.file, {replaceBuiltin: flags['replace-builtin']})
    if (result.added.length > 0) this.log(`added ${result.added.join(', ')}`)
    if (result.replaced.length > 0) this.log(`replaced ${result.replaced.join(', ')}`)
    for (const item of result.builtinReplaced) {
      const {from, to} = item.upstream
      const upstream = from === to ? '' : (to === null ? '; run --mediate can no longer stand in for its key (no "mediate" section)'
        : `; run --mediate sends its key to ${to}${from === null ? '' : ` instead of ${from}`}`)
      const formats = item.keyFormatsDropped.length === 0 ? '' : `; scan no longer reports ${item.keyFormatsDropped.join(', ')} keys`
      const capabilities = item.capabilitiesDropped.length === 0 ? '' : `; capabilities gone: ${item.capabilitiesDropped.join(', ')}`
      this.warn(`${item.id}: your definition replaces the built-in one${upstream}${formats}${capabilities}. Restore the built-in with \`codex-vault provider remove ${item.id}\``)
    }
    return result
  }
}
