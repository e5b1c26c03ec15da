/** How a failure reaches the user, shared by the oclif base command and the lean `run` path. */
import {ExitCode, VaultError} from './errors.js'
import {hideKeyLike, hideKeyLikeDeep} from './key-like.js'

/** A VaultError may carry a conventional process code in details.exitCode (run: 127 for a missing command). */
export function exitCodeOf(error: Error & {exitCode?: number; oclif?: {exit?: number}}): number {
  if (error instanceof VaultError) return typeof error.details?.exitCode === 'number' ? error.details.exitCode : error.exitCode
  return error.oclif?.exit ?? error.exitCode ?? ExitCode.Internal
}

/** Every message that quotes input goes through hideKeyLike: a key pasted in the wrong place is never echoed. */
export function errorText(error: Error): string {
  if (error instanceof VaultError) return hideKeyLike([`codex-vault: ${error.message}`, ...error.suggestions.map((s) => `  try: ${s}`)].join('\n') + '\n')
  const debug = process.env.CODEX_VAULT_DEBUG === '1' ? `${error.stack}\n` : ''
  return hideKeyLike(`codex-vault: internal error (a bug; the request was denied): ${error.message}\n  try: report it with the command you ran (not your secrets)\n${debug}`)
}

export interface JsonFailure {
  error: {code: string; message: string; suggestions: string[]; details?: Record<string, unknown>}
  status: number
  warnings: string[]
}

export function errorJson(error: Error & {exitCode?: number; oclif?: {exit?: number}}, warnings: string[]): JsonFailure {
  const status = exitCodeOf(error)
  const code = error instanceof VaultError ? error.code : (status === ExitCode.Usage ? 'USAGE' : 'INTERNAL')
  const suggestions = error instanceof VaultError ? error.suggestions : []
  const details = error instanceof VaultError ? error.details : undefined
  return {error: {code, message: hideKeyLike(error.message), suggestions: suggestions.map(hideKeyLike), ...(details ? {details: hideKeyLikeDeep(details)} : {})}, status, warnings: warnings.map(hideKeyLike)}
}

/**
 * oclif's parse errors, reworded to read like ours: "The following error occurred: Missing required
 * flag out / See more help with --help" becomes "missing required flag --out".
 */
export function usageMessage(message: string): string {
  const lines = message
    .replace(/^The following errors? occurred:\s*/, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^See more help with --help$/.test(line))
    .map((line) => line.replace(/^Missing required flag (\w[\w-]*)$/, 'Missing required flag --$1'))
  const text = lines.join('; ')
  return text.charAt(0).toLowerCase() + text.slice(1)
}
