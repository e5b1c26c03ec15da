import {headerStatus, unlockedStatus, type VaultStatus} from '../src/auth/status.js'
import {readHeader} from '../src/cli/context.js'
import {VaultError} from '../src/cli/errors.js'
import {renderStatus} from '../src/cli/render-status.js'
import {VaultCommand} from '../src/cli/vault-command.js'

export default class Status extends VaultCommand<VaultStatus> {
  static override summary = 'Show the vault, each boot step\'s health, the session and counts.'
  static override description = 'Exit 0 when the vault opens with a valid session or passphrase; 7 when it is locked (still printing what could be checked); 3, 4, 5 or 10 when a boot step fails.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<VaultStatus> {
    const env = await this.commandEnv()
    const base = headerStatus(env.vaultPath, readHeader(env.vaultPath))
    const canAuthenticate = Boolean(env.env.CODEX_VAULT_SESSION || env.env.CODEX_VAULT_PASSPHRASE || env.fromStdin || env.stdin.isTTY)
    if (!canAuthenticate) {
      const status = {...base, steps: [...base.steps, {step: 'authentication', ok: false, detail: 'locked: no session and no passphrase source'}]}
      this.locked(status, new VaultError('NO_SESSION', 'the vault is locked', {suggestions: ['run `eval "$(codex-vault unlock)"` to start a session']}))
    }
    let status: VaultStatus
    try {
      const vault = await this.openVault()
      status = unlockedStatus(base, vault, env.now())
    } catch (error) {
      if (error instanceof VaultError) {
        this.locked({...base, steps: [...base.steps, {step: 'authentication / integrity / health', ok: false, detail: `${error.code}: ${error.message}`}]}, error)
      }
      throw error
    }
    if (!this.jsonEnabled()) this.log(renderStatus(status))
    return status
  }

  /** Print what could be checked, then fail with the step's own exit code. */
  private locked(status: VaultStatus, error: VaultError): never {
    if (!this.jsonEnabled()) this.log(renderStatus(status))
    throw new VaultError(error.code, error.message, {suggestions: error.suggestions, details: {status}})
  }
}
