import {renderTable} from '../../src/cli/render-table.js'
import {VaultCommand} from '../../src/cli/vault-command.js'
import {listSecrets, type SecretInfo} from '../../src/secrets/store.js'

export default class SecretList extends VaultCommand<{secrets: SecretInfo[]}> {
  static override summary = 'List stored keys: metadata and keyed fingerprints, never values.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<{secrets: SecretInfo[]}> {
    const vault = await this.openVault()
    const secrets = listSecrets(vault.body)
    if (secrets.length === 0) this.log('no secrets stored; add one with `codex-vault secret set PROVIDER`')
    else {
      this.log(renderTable(['provider', 'env', 'label', 'ver', 'fingerprint', 'created', 'rotated', 'last injected'],
        secrets.map((s) => [s.provider, s.env, s.label ?? '', String(s.version), s.fingerprint, s.created.slice(0, 16), s.rotated?.slice(0, 16) ?? '', s.lastInjected?.slice(0, 16) ?? 'never'])))
    }
    return {secrets}
  }
}
