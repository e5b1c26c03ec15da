import {Args, Flags} from '@oclif/core'

import {VaultCommand} from '../../src/cli/vault-command.js'
import {importDotenv, type ImportResult, readImportFile, scrubFailure} from '../../src/secrets/import.js'

export default class SecretImport extends VaultCommand<ImportResult> {
  static override summary = 'Move the provider keys of a .env file into the vault.'
  static override description = 'Each variable is matched to a provider by its name and by its key format. Unrecognised variables are listed by name only and stay in the file; so does a name assigned different values on several lines. With --scrub the file is rewritten (atomically, same mode) without the imported values, so a project can move off plaintext .env files; if the file cannot be rewritten, nothing is imported.'
  static override examples = ['<%= config.bin %> <%= command.id %> .env', '<%= config.bin %> <%= command.id %> apps/web/.env.local --scrub']
  static override args = {file: Args.string({description: '.env file', required: true})}
  static override flags = {scrub: Flags.boolean({default: false, description: 'remove the imported values from the file'})}

  async run(): Promise<ImportResult> {
    const {args, flags} = await this.parse(SecretImport)
    const source = readImportFile(args.file)
    const vault = await this.openVault()
    const result = await importDotenv(vault, {file: args.file, scrub: flags.scrub, now: new Date(), source, warn: (message) => this.warn(message)})
    for (const item of result.imported) this.log(`imported  ${item.key} (line ${item.line}) -> ${item.provider} ${item.env}, fingerprint ${item.fingerprint}`)
    for (const item of result.alreadyStored) this.log(`kept      ${item.key} (line ${item.line}): ${item.provider} ${item.env} is already stored${item.sameValue ? ' with the same value' : ' with a different value (use `secret rotate`)'}`)
    for (const item of result.public) this.log(`public    ${item.key} (line ${item.line}): ${item.reason}`)
    for (const item of result.rejected) this.log(`rejected  ${item.key} (line ${item.line}): ${item.reason}`)
    for (const item of result.conflicts) this.log(`conflict  ${item.key}: ${item.reason}`)
    if (result.unrecognised.length > 0) this.log(`not recognised (left in the file): ${result.unrecognised.map((item) => item.key).join(', ')}`)
    for (const error of result.parseErrors) this.warn(`${args.file}:${error.line}: ${error.message}`)
    const counts = [
      `${result.imported.length} imported`, `${result.alreadyStored.length} already stored`, `${result.rejected.length} rejected`,
      ...result.conflicts.length > 0 ? [`${result.conflicts.length} conflicting`] : [],
      ...result.public.length > 0 ? [`${result.public.length} public`] : [],
      `${result.unrecognised.length} not recognised`,
      ...flags.scrub ? [result.scrubError ? `NOT scrubbed from ${args.file}` : `${result.scrubbed.length} scrubbed from ${args.file}`] : [],
    ]
    this.log(counts.join(', '))
    if (result.scrubError) throw scrubFailure(result)
    return result
  }
}
