import {Args, Flags} from '@oclif/core'

import {refuseExtraArguments, refuseKeyLikeArguments} from '../../src/cli/no-value-args.js'
import {VaultCommand} from '../../src/cli/vault-command.js'
import {readSecretValue} from '../../src/secrets/secret-input.js'
import {checkSecretEnvName} from '../../src/secrets/secret-value.js'
import {setSecret, type SetSecretResult} from '../../src/secrets/store.js'

export default class SecretSet extends VaultCommand<SetSecretResult> {
  static override summary = 'Store a provider key, from a hidden prompt or stdin (never from an argument).'
  static override description = 'The value is checked against the provider\'s key format (refused on mismatch unless --force; the message shows only a masked prefix). It is encrypted on its own inside the vault and leaves only by injection into `codex-vault run`.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> openai',
    'pbpaste | <%= config.bin %> <%= command.id %> anthropic',
    '<%= config.bin %> <%= command.id %> google-gemini --env GEMINI_API_KEY < key.txt',
  ]
  static override args = {provider: Args.string({description: 'provider id (see `codex-vault provider list`)', required: true})}
  static override strict = false
  static override flags = {
    env: Flags.string({description: 'env var name to inject it as (default: the provider\'s primary name)'}),
    force: Flags.boolean({default: false, description: 'store a value that does not match the provider\'s key format'}),
    name: Flags.string({description: 'a label for this key, e.g. "prod" (metadata only)'}),
  }

  async run(): Promise<SetSecretResult> {
    const {args, argv, flags} = await this.parse(SecretSet)
    refuseExtraArguments(argv as string[], 1, 'secret set')
    refuseKeyLikeArguments({PROVIDER: args.provider, '--env': flags.env, '--name': flags.name}, 'secret set')
    if (flags.env) checkSecretEnvName(flags.env) // before the key is asked for
    const env = await this.commandEnv()
    const vault = await this.openVault()
    const value = await readSecretValue({stdin: process.stdin, stderr: process.stderr, prompt: `${args.provider} key (hidden)`, stdinTaken: env.fromStdin})
    const result = await setSecret(vault, {provider: args.provider, env: flags.env, label: flags.name, value, force: flags.force, now: new Date()})
    for (const warning of result.warnings) this.warn(warning)
    this.log(`stored ${result.secret.provider} as ${result.secret.env} (version ${result.secret.version}, fingerprint ${result.secret.fingerprint})`)
    return result
  }
}
