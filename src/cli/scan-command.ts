/** Shared by scan, resolve and bind: open the vault when a session is there, render reports. */
import chalk from 'chalk'

import type {Leak} from '../ingest/leaks.js'
import type {ResolvedCapability} from '../ingest/resolver.js'
import type {AuthenticatedVault} from './context.js'
import {scanWithCatalog} from '../ingest/project-scan.js'
import type {ScanResult} from '../ingest/scan.js'
import {VaultError} from './errors.js'
import {scanProgress} from './progress.js'

/** scan/resolve work before `init` and on a locked vault; they only lose user providers and stored-value matching. */
export function canOpenVault(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.CODEX_VAULT_SESSION || env.CODEX_VAULT_PASSPHRASE)
}

export function renderLeaks(leaks: Leak[]): string[] {
  return leaks.map((leak) => `  ${chalk.red('LEAK')} ${leak.file}:${leak.line}  ${leak.rule}${leak.provider ? ` (${leak.provider})` : ''}  ${leak.preview}`)
}

export function renderCapabilities(capabilities: ResolvedCapability[], indent = '  '): string[] {
  const lines: string[] = []
  const colour = {required: chalk.green, likely: chalk.yellow, mentioned: chalk.dim}
  for (const item of capabilities) {
    lines.push(`${indent}${item.capability}  ${colour[item.confidence](item.confidence)}  env ${item.env.join(', ')}`)
    for (const e of item.evidence.slice(0, 8)) lines.push(`${indent}    ${e.file}:${e.line}  ${e.kind}`)
    if (item.evidence.length > 8) lines.push(`${indent}    … ${item.evidence.length - 8} more`)
  }
  return lines
}

/** --fail-on-leak: exit 11 so a pre-commit hook or CI step fails on a hard-coded key. */
export function leakFailure(leaks: Leak[]): VaultError {
  return new VaultError('LEAK_FOUND', `${leaks.length} hard-coded secret(s) found`, {
    details: {leaks},
    suggestions: ['move each key into the vault (codex-vault secret set PROVIDER) and read it from the environment instead', 'rotate any key that was committed'],
  })
}

/** The scan every ingest command starts with, with a progress line on a terminal that is always cleared. */
export async function scanForCommand(path: string, vault: AuthenticatedVault | undefined): Promise<ScanResult> {
  const progress = scanProgress(process.stderr)
  try {
    return await scanWithCatalog({path, vault, onProgress: (p) => progress.update(p)})
  } finally {
    progress.done()
  }
}
