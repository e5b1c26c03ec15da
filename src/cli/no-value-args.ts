import {VaultError} from './errors.js'

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
