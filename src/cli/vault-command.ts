/**
 * Base class of every command: shared flags, the --json envelope, exit codes that survive --json,
 * `codex-vault:` messages with what to do next, and no stack traces for expected failures.
 */
import {Command, Flags, type Interfaces} from '@oclif/core'

import {defaultVaultPath} from '../auth/paths.js'
import {type AuthenticatedVault, type BootOptions, type CommandEnv, bootVault} from './context.js'
import {parseDuration} from './duration.js'
import {ExitCode, VaultError} from './errors.js'
import {hideKeyLike} from './key-like.js'
import {type JsonFailure, errorJson, errorText, exitCodeOf, usageMessage} from './render-error.js'

export type JsonSuccess<T> = {result: T; status: 0; warnings: string[]}

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof VaultCommand)['baseFlags'] & T['flags']>

export abstract class VaultCommand<T> extends Command {
  static override baseFlags = {
    'lock-timeout': Flags.string({
      default: '30s',
      description: 'how long to wait for another codex-vault process to release the vault (exit 9 after that)',
      helpGroup: 'GLOBAL',
    }),
    'passphrase-stdin': Flags.boolean({
      default: false,
      description: 'read the passphrase from stdin instead of a session, the prompt or CODEX_VAULT_PASSPHRASE',
      helpGroup: 'GLOBAL',
    }),
    vault: Flags.string({
      description: 'vault file [default: $XDG_DATA_HOME/codex-vault/vault.cv]',
      env: 'CODEX_VAULT_FILE',
      helpGroup: 'GLOBAL',
    }),
  }

  static override enableJsonFlag = true

  private readonly warnings: string[] = []
  private opened: AuthenticatedVault | undefined

  abstract override run(): Promise<T>

  /** Warnings go to stderr, and into the JSON envelope when --json is on. */
  override warn(input: Error | string): Error | string {
    const message = typeof input === 'string' ? input : input.message
    if (this.jsonEnabled()) this.warnings.push(message)
    else process.stderr.write(hideKeyLike(`codex-vault: warning: ${message}\n`))
    return input
  }

  protected async commandEnv(): Promise<CommandEnv> {
    const {flags} = await this.parse(this.constructor as typeof VaultCommand)
    const base = flags as unknown as {vault?: string; 'lock-timeout': string; 'passphrase-stdin': boolean}
    return {
      vaultPath: base.vault || defaultVaultPath(process.env),
      lockTimeoutMs: parseDuration(base['lock-timeout'], '--lock-timeout'),
      env: process.env,
      fromStdin: base['passphrase-stdin'],
      stdin: process.stdin,
      stderr: process.stderr,
      now: () => new Date(),
      warn: (message) => this.warn(message),
    }
  }

  /** The boot sequence with a key; the vault is closed (keys wiped) when the command ends. */
  protected async openVault(options: BootOptions = {}): Promise<AuthenticatedVault> {
    this.opened = await bootVault(await this.commandEnv(), this.id ?? 'unknown', options)
    return this.opened
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    this.opened?.close()
    return super.finally(error)
  }

  protected override async catch(error: Error & {code?: string; exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (error.code === 'EEXIT') throw error // this.exit(): a deliberate exit code (run passes the child's through)
    const exit = exitCodeOf(error)
    process.exitCode = exit
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(error))
      return
    }
    if (error instanceof VaultError) {
      process.stderr.write(errorText(error))
      return this.exit(exit)
    }
    if (/^Unexpected arguments?:/.test(error.message)) {
      // oclif quotes the argument, and a pasted key is the likeliest extra argument of all
      process.stderr.write(`codex-vault: unexpected argument (not shown: it may be a secret)\n  try: ${this.helpCommand()}; secrets go through stdin or the hidden prompt\n`)
      return this.exit(ExitCode.Usage)
    }
    if (exit === ExitCode.Usage || error.oclif?.exit !== undefined) {
      process.stderr.write(hideKeyLike(`codex-vault: ${usageMessage(error.message)}\n  try: ${this.helpCommand()}\n`))
      return this.exit(exit === 0 ? ExitCode.Usage : exit)
    }
    process.stderr.write(errorText(error))
    return this.exit(ExitCode.Internal)
  }

  protected override toErrorJson(error: unknown): JsonFailure {
    const failure = errorJson(error as Error, this.warnings)
    if (/^Unexpected arguments?:/.test(failure.error.message)) failure.error.message = 'unexpected argument (not shown: it may be a secret)'
    else if (!(error instanceof VaultError) && failure.status === ExitCode.Usage) failure.error.message = usageMessage(failure.error.message)
    if (!(error instanceof VaultError) && failure.status === ExitCode.Usage && failure.error.suggestions.length === 0) failure.error.suggestions = [this.helpCommand()]
    return failure
  }

  /** `codex-vault grant approve --help`: oclif's ids use colons, users type spaces. */
  private helpCommand(): string {
    return `codex-vault ${(this.id ?? '').replaceAll(':', ' ')} --help`.replace('  --help', ' --help')
  }

  protected override toSuccessJson(result: unknown): JsonSuccess<T> {
    return {result: result as T, status: 0, warnings: this.warnings.map(hideKeyLike)}
  }
}
