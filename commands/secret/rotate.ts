import {Args, Flags} from '@oclif/core'

import {refuseExtraArguments, refuseKeyLikeArguments} from '../../src/cli/no-value-args.js'
import {VaultCommand} from '../../src/cli/vault-command.js'
import {readSecretValue} from '../../src/secrets/secret-input.js'
import {checkSecretEnvName} from '../../src/secrets/secret-value.js'
import {rotateSecret, type RotateResult} from '../../src/secrets/store.js'

export default class SecretRotate extends VaultCommand<RotateResult> {
  static override summary = 'Replace a stored key with a new version; the previous one is destroyed.'
  static override examples = ['pbpaste | <%= config.bin %> <%= command.id %> openai', '<%= config.bin %> <%= command.id %> aws --env AWS_SECRET_ACCESS_KEY']
  static override args = {provider: Args.string({description: 'provider id', required: true})}
  static override strict = false
  static override flags = {
    env: Flags.string({description: 'which of the provider\'s secrets, when it has several'}),
    force: Flags.boolean({default: false, description: 'store a value that does not match the provider\'s key format'}),
    name: Flags.string({description: 'a new label'}),
  }

  async run(): Promise<RotateResult> {
    const {args, argv, flags} = await this.parse(SecretRotate)
    refuseExtraArguments(argv as string[], 1, 'secret rotate')
    refuseKeyLikeArguments({PROVIDER: args.provider, '--env': flags.env, '--name': flags.name}, 'secret rotate')
    if (flags.env) checkSecretEnvName(flags.env) // before the key is asked for
    const env = await this.commandEnv()
    const vault = await this.openVault()
    const value = await readSecretValue({stdin: process.stdin, stderr: process.stderr, prompt: `new ${args.provider} key (hidden)`, stdinTaken: env.fromStdin})
    const result = await rotateSecret(vault, {provider: args.provider, env: flags.env, label: flags.name, value, force: flags.force, now: new Date()})
    for (const warning of result.warnings) this.warn(warning)
    this.log(`rotated ${result.secret.provider} ${result.secret.env}: version ${result.previous.version} (${result.previous.fingerprint}) -> ${result.secret.version} (${result.secret.fingerprint})`)
    return result
  }
}
