import chalk from 'chalk'

import type {VaultStatus} from '../auth/status.js'

export function renderStatus(status: VaultStatus): string {
  const lines = [`vault      ${status.vault}`]
  if (status.vaultId) lines.push(`id         ${status.vaultId}`, `format     ${status.format}`, `kdf        ${status.kdf}`, `generation ${status.generation}`)
  lines.push(`state      ${status.locked ? chalk.yellow('locked') : chalk.green('unlocked')}`)
  if (status.session) lines.push(`session    ${status.session.id.slice(0, 8)}${status.session.scope === 'run' ? ' (run-only)' : ''} until ${status.session.expiresAt}`)
  if (status.counts) {
    const c = status.counts
    lines.push(`counts     ${c.secrets} secrets, ${c.assets} assets, ${c.activeGrants} active grants, ${c.activeSessions} active sessions, ${c.userProviders} user providers, ${c.killedProviders} killed providers`)
  }
  if (status.audit !== undefined) lines.push(`audit      ${status.audit ? `record ${status.audit.seq}, head ${status.audit.head}` : 'empty'}`)
  if (status.liveRuns !== undefined) {
    lines.push(`runs       ${status.liveRuns.length === 0 ? 'none live' : `${status.liveRuns.length} live (end them with codex-vault kill)`}`)
    for (const run of status.liveRuns) {
      lines.push(`  ${run.asset}: ${run.command ?? '?'} (pid ${run.childPid ?? run.pid}${run.mode ? `, ${run.mode}` : ''}) since ${run.started}, ${run.capabilities.join(', ')}`)
    }
  }
  lines.push('boot')
  for (const step of status.steps) lines.push(`  ${step.ok ? chalk.green('ok  ') : chalk.red('FAIL')} ${step.step}: ${step.detail}`)
  return lines.join('\n')
}
