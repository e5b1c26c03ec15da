import {Args} from '@oclif/core'

import {VaultCommand} from '../../src/cli/vault-command.js'
import {addProviders} from '../../src/secrets/providers/manage.js'

export default class ProviderAdd extends VaultCommand<{added: string[]; replaced: string[]}> {
  static override summary = 'Add or replace user-defined providers from a JSON file (validated strictly).'
  static override description = 'The file holds one provider object or a list: {"id","name","capabilities":["<domain>.<provider>.<action>"],"env":["PRIMARY_ENV"],"keyFormats":[{"id","pattern","keywords"}],"detect":{...},"baseUrls":[...]}. Unknown fields, bad regexes and malformed capabilities are refused with the field named; the catalog is then unchanged.'
  static override examples = ['<%= config.bin %> <%= command.id %> ./my-provider.json']
  static override args = {file: Args.string({description: 'provider JSON file', required: true})}

  async run(): Promise<{added: string[]; replaced: string[]}> {
    const {args} = await this.parse(ProviderAdd)
    const vault = await this.openVault()
    const result = await addProviders(vault, args.file)
    if (result.added.length > 0) this.log(`added ${result.added.join(', ')}`)
    if (result.replaced.length > 0) this.log(`replaced ${result.replaced.join(', ')}`)
    return result
  }
}
