import {VaultError} from './errors.js'
import {hideKeyLike, isKeyLike} from './key-like.js'

/**
 * Commands that take secrets refuse extra arguments themselves: oclif's own "Unexpected argument:
 * <value>" message would echo a pasted key to the terminal and to CI logs.
 */
/** `positional`: the arguments oclif parsed (flag values excluded), with `strict = false` so oclif itself never echoes them. */
export function refuseExtraArguments(positional: string[], expected: number, command: string): void {
  if (positional.length > expected) {
    throw new VaultError('USAGE', `${command} takes no value argument (secrets never go on the command line, where other users and shell history can read them); nothing was stored`, {
      suggestions: [`pipe it in: pbpaste | codex-vault ${command} ...`, `or run codex-vault ${command} ... in a terminal and paste it at the hidden prompt`],
    })
  }
}

/**
 * Refuse a key typed where a name goes (`secret set sk-proj-…`, `--name sk-…`): an easy slip that
 * would otherwise store it as metadata in the clear or quote it in an error. Only a preview is shown.
 */
export function refuseKeyLikeArguments(values: Record<string, string | undefined>, command: string): void {
  for (const [what, value] of Object.entries(values)) {
    if (value === undefined || !value.split(/\s+/).some((word) => isKeyLike(word))) continue
    const fix = command.startsWith('secret ')
      ? `pipe the key in and name the provider: pbpaste | codex-vault ${command} openai (see codex-vault provider list)`
      : `give ${what} in plain words; a key never belongs in it (it would be kept in the vault and the audit log)`
    throw new VaultError('USAGE', `${what} looks like a key (${hideKeyLike(value)}); keys never go on the command line, where other users and shell history can read them; nothing was stored`, {
      suggestions: [fix, 'if that key is real, consider it exposed (shell history) and rotate it at the provider'],
    })
  }
}
