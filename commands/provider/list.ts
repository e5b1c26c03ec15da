import {renderTable} from '../../src/cli/render-table.js'
import {VaultCommand} from '../../src/cli/vault-command.js'
import {listProviders, type ProviderSummary} from '../../src/secrets/providers/manage.js'

export default class ProviderList extends VaultCommand<{providers: ProviderSummary[]}> {
  static override summary = 'List the provider catalog: built-in and user-defined providers.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<{providers: ProviderSummary[]}> {
    const vault = await this.openVault()
    const providers = await listProviders(vault)
    this.log(renderTable(['id', 'name', 'source', 'capabilities', 'env'], providers.map((p) => [
      p.killed ? `${p.id} (killed)` : p.id, p.name, p.replacesBuiltin ? 'user (replaces built-in)' : p.source, p.capabilities.join(','), p.env.join(','),
    ])))
    return {providers}
  }
}
