/** Shared by scan, resolve and bind: open the vault when a session is there, render reports. */
import chalk from 'chalk'

import type {Leak} from '../ingest/leaks.js'
import {UNCHECKED_REASONS, type SkipReason} from '../ingest/read.js'
import type {ResolvedCapability} from '../ingest/resolver.js'
import {DEFAULT_MAX_FILE_BYTES} from '../ingest/walk.js'
import type {AuthenticatedVault} from './context.js'
import {scanWithCatalog} from '../ingest/project-scan.js'
import type {ScanResult} from '../ingest/scan.js'
import {usageError, VaultError} from './errors.js'
import {scanProgress} from './progress.js'

/** The largest --max-file-size: a file is decoded into one string, and each scan thread holds a buffer this big. */
export const MAX_FILE_SIZE_LIMIT = 256 * 1024 * 1024

const SIZE_UNITS: Record<string, number> = {'': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3}

/** "8M", "512K", "10MiB", "3000000" (bytes) -> bytes; binary units. */
export function parseFileSize(text: string, what = '--max-file-size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$/i.exec(text)
  const bytes = m ? Math.floor(Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()]) : Number.NaN
  if (!(bytes > 0 && bytes <= MAX_FILE_SIZE_LIMIT)) {
    throw usageError(`${what}: "${text}" is not a size from 1 byte to ${formatBytes(MAX_FILE_SIZE_LIMIT)}`, ['use a number with an optional unit, e.g. 8M or 512K'])
  }
  return bytes
}

/** 2097152 -> "2 MiB", 3145728.5 -> "3.0 MiB", 900 -> "900 bytes". */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= size) return `${Number.isInteger(bytes / size) ? bytes / size : (bytes / size).toFixed(1)} ${unit}`
  }
  return `${bytes} bytes`
}

/** What one skip means, for people. */
function skipText(reason: SkipReason, detail: string | undefined): string {
  switch (reason) {
    case 'too-large': {
      const size = detail ? Number.parseInt(detail, 10) : Number.NaN
      return Number.isFinite(size) ? `too large (${formatBytes(size)})` : 'too large'
    }
    case 'unreadable': return detail ? `unreadable (${detail})` : 'unreadable'
    case 'binary': return 'binary'
    case 'symlink': return 'symlink (not followed)'
    case 'not-regular': return 'not a regular file'
    case 'dependencies': return 'dependency folder'
  }
}

const REASON_NAMES: Record<SkipReason, string> = {
  'too-large': 'too large', unreadable: 'unreadable', binary: 'binary', symlink: 'symlink', 'not-regular': 'not a regular file', dependencies: 'dependency folder',
}

/** Reasons in the order they matter: those that may hide a key first. */
const REASON_ORDER: SkipReason[] = ['too-large', 'unreadable', 'binary', 'dependencies', 'symlink', 'not-regular']

/** Files that could hold a hard-coded key but were not read (too large, unreadable, binary). */
export function uncheckedCount(stats: ScanResult['stats']): number {
  let n = 0
  for (const reason of UNCHECKED_REASONS) n += stats.skippedByReason[reason] ?? 0
  return n
}

/** "2 too large, 1 binary" */
function reasonCounts(stats: ScanResult['stats'], only?: ReadonlySet<SkipReason>): string {
  return REASON_ORDER.filter((r) => (stats.skippedByReason[r] ?? 0) > 0 && (!only || only.has(r))).map((r) => `${stats.skippedByReason[r]} ${REASON_NAMES[r]}`).join(', ')
}

/**
 * What the scan did not read: a count by reason, then up to `limit` of them (those that could hold
 * a key first), each with its reason. Nothing when nothing was skipped.
 */
export function renderSkips(stats: ScanResult['stats'], limit = 10): string[] {
  if (stats.skippedTotal === 0) return []
  const lines = [`not scanned: ${stats.skippedTotal} (${reasonCounts(stats)})`]
  const listed = [...stats.skipped].sort((a, b) => (UNCHECKED_REASONS.has(a.reason) ? 0 : 1) - (UNCHECKED_REASONS.has(b.reason) ? 0 : 1))
  for (const item of listed.slice(0, limit)) lines.push(`  ${chalk.yellow('SKIP')} ${item.file}  ${skipText(item.reason, item.detail)}`)
  if (stats.skippedTotal > limit) {
    const all = stats.skipped.length === stats.skippedTotal
    lines.push(`  … ${stats.skippedTotal - Math.min(limit, listed.length)} more (--json lists ${all ? 'them' : `${stats.skipped.length} in all`})`)
  }
  return lines
}

/**
 * The --fail-on-leak warning: files that could hold a key were skipped, so a pass means less than
 * it says. Names how many, why, a few of them, and what to do. Undefined when every such file was read.
 */
export function uncheckedWarning(stats: ScanResult['stats'], maxFileBytes = DEFAULT_MAX_FILE_BYTES): string | undefined {
  const count = uncheckedCount(stats)
  if (count === 0) return undefined
  const why: string[] = []
  const tooLarge = stats.skippedByReason['too-large'] ?? 0
  const unreadable = stats.skippedByReason.unreadable ?? 0
  const binary = stats.skippedByReason.binary ?? 0
  if (tooLarge > 0) why.push(`${tooLarge} over the ${formatBytes(maxFileBytes)} size limit (raise it with --max-file-size)`)
  if (unreadable > 0) why.push(`${unreadable} unreadable (check their permissions)`)
  if (binary > 0) why.push(`${binary} binary (never searched)`)
  const names = stats.skipped.filter((s) => UNCHECKED_REASONS.has(s.reason)).map((s) => s.file)
  const shown = names.slice(0, 3).join(', ') + (count > 3 ? ', …' : '')
  return `--fail-on-leak: ${count} file(s) that could hold a hard-coded secret were not checked: ${why.join('; ')}: ${shown}`
}

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
export async function scanForCommand(path: string, vault: AuthenticatedVault | undefined, options: {maxFileBytes?: number} = {}): Promise<ScanResult> {
  const progress = scanProgress(process.stderr)
  try {
    return await scanWithCatalog({path, vault, maxFileBytes: options.maxFileBytes, onProgress: (p) => progress.update(p)})
  } finally {
    progress.done()
  }
}
