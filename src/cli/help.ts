/**
 * The contract promises the exit codes "in the README and in --help": the root help ends with the
 * whole table and a few examples, and every command's help with a pointer to it plus the codes a
 * script most often branches on.
 */
import {type Command, Help} from '@oclif/core'

const EXIT_CODES: [string, string][] = [
  ['0', 'success'],
  ['1', 'unexpected internal error (a bug; the request is still denied)'],
  ['2', 'usage or invalid input'],
  ['3', 'vault missing, unreadable or unwritable, unsupported version, header out of bounds'],
  ['4', 'authentication failed (wrong passphrase or key)'],
  ['5', 'integrity failure (tampered or corrupt vault, session or audit data)'],
  ['6', 'denied by policy (no grant, expired, revoked, used up, asset or provider killed, clock moved backwards)'],
  ['7', 'no valid session (locked, expired, revoked)'],
  ['8', 'audit log unavailable: refused, fail closed'],
  ['9', 'vault busy: lock not acquired in time'],
  ['10', 'rollback or truncation of the vault or the audit log detected'],
  ['11', 'scan/resolve --fail-on-leak: a hard-coded secret was found'],
  ['run', "the child's exit code; 128+N when it died of signal N; 127 not found; 126 not executable"],
]

const ROOT_EXAMPLES = [
  'codex-vault init                                  # create the vault',
  'eval "$(codex-vault unlock --ttl 8h)"             # a session for this shell',
  'codex-vault secret set openai < key.txt           # store a key (stdin or hidden prompt)',
  'codex-vault bind ./app --name shop                # scan and register the app',
  'codex-vault grant approve --asset shop --capability ai.openai.inference --ttl 8h',
  'codex-vault run --asset shop -- npm start         # keys injected, masked in output',
  'codex-vault audit tail                            # who got what, when',
]

export default class CodexVaultHelp extends Help {
  /** After oclif's topics and commands: examples, then the exit-code table. */
  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    const examples = this.section('EXAMPLES', ROOT_EXAMPLES.map((line) => `$ ${line}`).join('\n'))
    const codes = this.section('EXIT CODES', this.renderList(EXIT_CODES, {indentation: 2, stripAnsi: this.opts.stripAnsi}))
    const errors = 'Every error starts with "codex-vault:" and says what to do next; with --json: {"status":N,"error":{"code":...,"message":...}}.'
    this.log(`\n${examples}\n\n${codes}\n\n${errors}\n`)
  }

  protected override formatCommand(command: Command.Loadable): string {
    const codes = 'exit 0 on success, 2 on bad input, 6 when policy denies, 7 without a session; the whole table: codex-vault --help'
    return `${super.formatCommand(command)}\n\n${this.section('EXIT CODES', codes)}`
  }
}
