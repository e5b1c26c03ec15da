import {Flags} from '@oclif/core'

import {approvalPrompt, canPrompt} from '../src/cli/approval-prompt.js'
import {VaultError, usageError} from '../src/cli/errors.js'
import {VaultCommand} from '../src/cli/vault-command.js'
import {type DryRunPlan, dryRun, runApp} from '../src/runtime/run-app.js'

export default class Run extends VaultCommand<DryRunPlan | {exitCode: number; signal: string | null; durationMs: number}> {
  static override summary = 'Run a command with exactly the keys its asset was granted, masked in its output.'
  static override description = `Checks, for every capability requested (default: the asset's bound capabilities): the asset is enabled, an active grant covers it, its provider was not killed, and a key is stored. The child gets the parent environment minus every CODEX_VAULT_* variable (or a minimal one with --clean-env) plus the granted keys under the provider's env names; it is spawned without a shell. Its stdout and stderr are masked ([REDACTED:ENV_NAME]) unless --no-mask; on a terminal it still gets a terminal. Signals are forwarded; the exit code is the child's (128+N when it died of signal N).
With --mediate the keys never reach the child at all: it gets a random placeholder for each key and the provider's base URL variable (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, ...) pointing at a loopback proxy run by codex-vault, which accepts only requests that carry the placeholder, swaps in the real key, forwards to the provider over HTTPS (through HTTPS_PROXY or ALL_PROXY when your environment sets one, minus NO_PROXY), scrubs the key from the response, and re-checks the vault before each request (a revoked or expired grant, a disabled asset or a killed provider refuses the next one). Providers without a known base URL variable are refused.
On a terminal a missing grant is asked about; otherwise the run is denied (exit 6) with the exact \`grant approve\` command to run. --dry-run performs every check and starts nothing.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --asset shop -- npm start',
    '<%= config.bin %> <%= command.id %> --asset shop --capability ai.openai.inference -- node script.js',
    '<%= config.bin %> <%= command.id %> --asset shop --dry-run --json',
    '<%= config.bin %> <%= command.id %> --asset shop --mediate -- node agent.js',
  ]
  static override strict = false
  static override flags = {
    asset: Flags.string({description: 'asset name', required: true}),
    capability: Flags.string({description: 'only these capabilities (repeatable; default: the asset\'s bound ones)', multiple: true}),
    'clean-env': Flags.boolean({default: false, description: 'start the child from PATH, HOME, USER, LANG, TERM, TMPDIR, SHELL only'}),
    'dry-run': Flags.boolean({default: false, description: 'check and show what would be injected; start nothing, change nothing'}),
    mask: Flags.boolean({allowNo: true, default: true, description: 'mask injected values in the child\'s output (--no-mask hands it the real stdio)'}),
    'while-granted': Flags.boolean({default: false, description: 'end the child (SIGTERM, then SIGKILL after 5 s) as soon as its grants stop holding: expiry, revocation, a disabled asset or a killed provider (checked once a second)'}),
    mediate: Flags.boolean({default: false, description: 'keep the keys out of the child: it gets placeholders and a base URL on a loopback proxy that adds the real key to each request'}),
  }

  async run(): Promise<DryRunPlan | {exitCode: number; signal: string | null; durationMs: number}> {
    const {argv, flags} = await this.parse(Run)
    const [command, ...args] = commandAfterSeparator(this.argv, argv as string[])
    const vault = await this.openVault()
    const now = () => new Date()
    if (flags['dry-run']) {
      const plan = await dryRun(vault, {asset: flags.asset, capabilities: flags.capability, now, mediate: flags.mediate})
      if (!this.jsonEnabled()) {
        const placeholders = new Set(plan.mediated?.flatMap((item) => item.placeholders))
        for (const item of plan.inject) {
          const what = placeholders.has(item.env) ? `a placeholder for ${item.env}` : item.env
          this.log(`would inject ${what} (${item.capability}, grant ${item.grant} until ${item.expires}${item.usesLeft === null ? '' : `, ${item.usesLeft} use(s) left`})`)
        }
        for (const item of plan.mediated ?? []) {
          this.log(`would point ${[item.baseUrlEnv, ...(item.baseUrlAliases ?? [])].join(' and ')} at codex-vault's loopback proxy, which forwards to ${item.upstream}${item.proxy ? ` through the proxy ${item.proxy}` : ''} with the real key`)
        }
        if (plan.allowed) this.log(`run --asset ${plan.asset} would be allowed`)
        if (plan.allowed && flags['while-granted'] && plan.inject.length > 0) {
          const ends = plan.inject.map((item) => item.expires).sort()[0]
          this.log(`with --while-granted the child would be ended at ${ends} (when the first grant expires), or sooner if a grant is revoked`)
        }
      }
      if (!plan.allowed) {
        throw new VaultError('POLICY_DENY', `run --asset ${plan.asset} would be denied: ${plan.denials.map((denial) => denial.reason).join('; ')}`, {
          suggestions: [...new Set(plan.denials.map((denial) => denial.fix))], details: {plan},
        })
      }
      return plan
    }
    if (!command) throw usageError('run needs a command after --', ['codex-vault run --asset shop -- npm start'])
    const {outcome} = await runApp(vault, {
      asset: flags.asset, capabilities: flags.capability, command, args, mask: flags.mask, cleanEnv: flags['clean-env'], mediate: flags.mediate, whileGranted: flags['while-granted'], parentEnv: process.env,
      stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, now, warn: (message) => this.warn(message),
      approve: canPrompt(process.stdin, process.stderr) && !this.jsonEnabled() ? approvalPrompt(flags.asset, process.stdin, process.stderr) : undefined,
    })
    this.exit(outcome.exitCode)
    return {exitCode: outcome.exitCode, signal: outcome.signal, durationMs: outcome.durationMs}
  }
}

/**
 * The command and its arguments: exactly what follows the first `--`, as given (a later `--` is
 * the command's own). oclif, parsing loosely because `run` takes any command line, turns a value
 * given to a switch (`--mask=false`, `--mediate=1`) into a stray positional, which would then
 * have been run as the command, with the keys injected. Anything positional before `--`, or a
 * command with no `--` at all, is refused instead.
 */
function commandAfterSeparator(raw: string[], parsed: string[]): string[] {
  const separator = raw.indexOf('--')
  const after = separator === -1 ? [] : raw.slice(separator + 1)
  // with no -- at all, `after` is empty: any command oclif found is refused too
  if (parsed.length > after.length) {
    throw usageError('run: only flags may come before --, and the command after it (a switch such as --mediate or --no-mask takes no value)', [
      'codex-vault run --asset shop -- npm start',
    ])
  }
  return after
}
