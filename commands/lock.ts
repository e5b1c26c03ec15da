import {Flags} from '@oclif/core'

import {dropSessionFile, endSessions, type LockResult} from '../src/auth/sessions.js'
import {isDamagedSessionFile, sessionIdOfToken} from '../src/auth/session.js'
import {readHeader} from '../src/cli/context.js'
import {VaultError, usageError} from '../src/cli/errors.js'
import {VaultCommand} from '../src/cli/vault-command.js'

export default class Lock extends VaultCommand<LockResult> {
  static override summary = 'End this session, or every session with --all.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --all']
  static override flags = {
    all: Flags.boolean({default: false, description: 'end every session of this vault (needs a session or the passphrase)'}),
  }

  async run(): Promise<LockResult> {
    const {flags} = await this.parse(Lock)
    const token = process.env.CODEX_VAULT_SESSION
    const sessionId = sessionIdOfToken(token)
    if (!flags.all && !sessionId) {
      if (token) {
        throw usageError('no session to end: CODEX_VAULT_SESSION is malformed (not a token printed by `codex-vault unlock`)', [
          'unset CODEX_VAULT_SESSION, or set it to the token unlock printed', 'use --all to end every session',
        ])
      }
      throw usageError('no session to end: CODEX_VAULT_SESSION is not set', ['use --all to end every session'])
    }
    let result: LockResult
    try {
      const vault = await this.openVault()
      result = await endSessions(vault, {env: process.env, all: flags.all, sessionId, now: new Date()})
    } catch (error) {
      // An expired or ended session, or a damaged session file, still gets its file removed: locking must always work.
      if (!flags.all && sessionId && error instanceof VaultError && (error.code === 'NO_SESSION' || isDamagedSessionFile(error))) {
        const {vaultPath} = await this.commandEnv()
        dropSessionFile(process.env, readHeader(vaultPath).header.vaultId, sessionId, new Date())
        result = {ended: 0, all: false}
      } else throw error
    }
    this.log(flags.all ? `ended ${result.ended} session(s)` : 'session ended')
    this.log('unset CODEX_VAULT_SESSION in your shell too')
    return result
  }
}
