import type {VaultStatus} from '../src/auth/status.js'
import {renderStatus} from '../src/cli/render-status.js'
import {collectStatus, statusFailure} from '../src/cli/status-flow.js'
import {VaultCommand} from '../src/cli/vault-command.js'

export default class Status extends VaultCommand<VaultStatus> {
  static override summary = 'Show the vault, each boot step\'s health, the session and counts.'
  static override description = 'Exit 0 when the vault opens with a valid session or passphrase; 7 when it is locked (still printing what could be checked); 3, 4, 5 or 10 when a boot step fails.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<VaultStatus> {
    const outcome = await collectStatus(await this.commandEnv())
    outcome.vault?.close()
    if (!this.jsonEnabled()) this.log(renderStatus(outcome.status))
    if (outcome.error) throw statusFailure(outcome)
    return outcome.status
  }
}
