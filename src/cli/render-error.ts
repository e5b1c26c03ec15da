/** How a failure reaches the user, shared by the oclif base command and the lean `run` path. */
import {ExitCode, VaultError} from './errors.js'

/** A VaultError may carry a conventional process code in details.exitCode (run: 127 for a missing command). */
export function exitCodeOf(error: Error & {exitCode?: number; oclif?: {exit?: number}}): number {
  if (error instanceof VaultError) return typeof error.details?.exitCode === 'number' ? error.details.exitCode : error.exitCode
  return error.oclif?.exit ?? error.exitCode ?? ExitCode.Internal
}

export function errorText(error: Error): string {
  if (error instanceof VaultError) return [`codex-vault: ${error.message}`, ...error.suggestions.map((s) => `  try: ${s}`)].join('\n') + '\n'
  const debug = process.env.CODEX_VAULT_DEBUG === '1' ? `${error.stack}\n` : ''
  return `codex-vault: internal error (a bug; the request was denied): ${error.message}\n  try: report it with the command you ran (not your secrets)\n${debug}`
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
  return {error: {code, message: error.message, suggestions, ...(details ? {details} : {})}, status, warnings}
}
