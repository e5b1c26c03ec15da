/**
 * Run-only sessions (`unlock --run-only`): what a coding agent should hold. A coding agent reads
 * a denial's "approve with: codex-vault grant approve ..." and runs it; with a full session that
 * works, and the agent has approved itself. A run-only session may run apps and look (like an
 * exported CI vault, it may also take permissions away: revoke, disable, kill, lock), and nothing
 * else: no approvals, no secret or provider changes, no exports, no --no-mask, no approving at
 * run's prompt. It stops an agent that follows instructions, not code written to attack: the
 * threat model leaves code running as the same user out of scope, and the token does unwrap the
 * data key.
 */
import {VaultError} from '../cli/errors.js'
import type {SessionScope} from './session.js'

const RUN_ONLY_COMMANDS = new Set([
  'run', 'status', 'scan', 'resolve', 'audit:tail', 'audit:verify', 'grant:list', 'asset:list', 'asset:show', 'secret:list', 'provider:list',
  'grant:revoke', 'asset:disable', 'kill', 'lock',
])

/** What tells whoever reads a refusal (often the agent itself) that a human must act. */
export const RUN_ONLY_SESSION = 'a run-only session (unlock --run-only)'
const OWNER_MUST_ACT = 'only the vault\'s owner can approve or change anything, in their own shell'

/** Boot step for sessions: a run-only session may run only the commands above. */
export function checkSessionScope(scope: SessionScope | undefined, command: string): void {
  if (scope !== 'run' || RUN_ONLY_COMMANDS.has(command)) return
  const shown = command.replaceAll(':', ' ')
  throw new VaultError('POLICY_DENY', `${shown} is not allowed with ${RUN_ONLY_SESSION}: ${OWNER_MUST_ACT}`, {
    suggestions: [`ask the vault's owner to run \`codex-vault ${shown} ...\` with their own session or passphrase`],
    details: {auditType: 'session.scope.deny'},
  })
}
