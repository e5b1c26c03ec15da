import {renderTable} from '../../src/cli/render-table.js'
import {VaultCommand} from '../../src/cli/vault-command.js'
import {type AssetSummary, listAssets} from '../../src/registry/assets.js'

export default class AssetList extends VaultCommand<{assets: AssetSummary[]}> {
  static override summary = 'List registered assets.'
  static override examples = ['<%= config.bin %> <%= command.id %>']

  async run(): Promise<{assets: AssetSummary[]}> {
    const vault = await this.openVault()
    const assets = listAssets(vault.body)
    if (assets.length === 0) this.log('no assets; register one with `codex-vault bind PATH --name NAME`')
    else this.log(renderTable(['name', 'state', 'owner', 'path', 'capabilities'], assets.map((a) => [a.name, a.enabled ? 'enabled' : 'disabled', a.owner, a.path, a.capabilities.join(',')])))
    return {assets}
  }
}
