/**
 * The one error class for expected failures, and the exit-code table of the product contract.
 * Domain code throws VaultError; anything else reaching the top is a bug (exit 1) and still denies.
 * This file imports nothing from oclif so that every src/ module may use it.
 */

/** Stable process exit codes (spec/product.md). Documented in the README; never renumber. */
export const ExitCode = {
  Ok: 0,
  Internal: 1,
  Usage: 2,
  Vault: 3,
  Auth: 4,
  Integrity: 5,
  Policy: 6,
  Session: 7,
  Audit: 8,
  Busy: 9,
  Rollback: 10,
  Leak: 11,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** Stable error codes, each bound to one exit code. */
export const ErrorCodes = {
  USAGE: ExitCode.Usage,
  INVALID_INPUT: ExitCode.Usage,
  VAULT_MISSING: ExitCode.Vault,
  VAULT_EXISTS: ExitCode.Usage,
  VAULT_UNREADABLE: ExitCode.Vault,
  VAULT_WRITE_FAILED: ExitCode.Vault,
  VAULT_UNSUPPORTED: ExitCode.Vault,
  HEADER_INVALID: ExitCode.Vault,
  AUTH_FAILED: ExitCode.Auth,
  NO_PASSPHRASE: ExitCode.Session,
  INTEGRITY: ExitCode.Integrity,
  POLICY_DENY: ExitCode.Policy,
  CLOCK_SKEW: ExitCode.Policy,
  NO_SESSION: ExitCode.Session,
  AUDIT_UNAVAILABLE: ExitCode.Audit,
  VAULT_BUSY: ExitCode.Busy,
  ROLLBACK: ExitCode.Rollback,
  LEAK_FOUND: ExitCode.Leak,
  INTERNAL: ExitCode.Internal,
} as const
export type ErrorCode = keyof typeof ErrorCodes

export interface VaultErrorOptions {
  cause?: unknown
  /** what the user can do next; printed as "Try this:" lines and returned in --json */
  suggestions?: string[]
  /** extra machine-readable facts for --json (never secret values) */
  details?: Record<string, unknown>
}

/** An expected, user-actionable failure. The message must not contain secrets. */
export class VaultError extends Error {
  readonly exitCode: ExitCode
  /** read by oclif's top-level handler to pick the process exit code */
  readonly oclif: {exit: number}
  readonly suggestions: string[]
  readonly details?: Record<string, unknown>

  constructor(readonly code: ErrorCode, message: string, options: VaultErrorOptions = {}) {
    super(message, {cause: options.cause})
    this.name = 'VaultError'
    this.exitCode = ErrorCodes[code]
    this.oclif = {exit: this.exitCode}
    this.suggestions = options.suggestions ?? []
    this.details = options.details
  }
}

export function isVaultError(error: unknown): error is VaultError {
  return error instanceof VaultError
}

/** Shorthand for input errors, which are by far the most common. */
export function usageError(message: string, suggestions: string[] = []): VaultError {
  return new VaultError('INVALID_INPUT', message, {suggestions})
}
