/**
 * Which key formats apply to which env name, and whole-value matching. Shared by the catalog,
 * `secret set` checks and `secret import` planning so that all three agree.
 */
import type {KeyFormat, Provider} from './schema.js'

/** A whole-value matcher for a format (the catalog stores unanchored sources). */
export function compileFormat(format: KeyFormat): RegExp {
  return new RegExp(`^(?:${format.pattern})$`)
}

/** Cheap prefilter: every match contains one of the format's lowercase keywords. */
export function hasKeyword(format: KeyFormat, lowerValue: string): boolean {
  return format.keywords.some((keyword) => lowerValue.includes(keyword))
}

/**
 * The secret (non-public) formats a value stored under `env` must match. A format with `env`
 * applies to that name only; formats without `env` are the provider's main credential and apply to
 * every name no format claims (aliases such as STRIPE_API_KEY). Empty: no check is possible.
 */
export function formatsForEnv(provider: Provider, env: string): KeyFormat[] {
  const secret = provider.keyFormats.filter((format) => !format.public)
  const claimed = secret.filter((format) => format.env === env)
  if (claimed.length > 0) return claimed
  if (provider.keyFormats.some((format) => format.env === env)) return [] // only a public format names it
  return secret.filter((format) => format.env === undefined)
}

/** The env name a value matched by `format` belongs under. */
export function envForFormat(provider: Provider, format: KeyFormat): string {
  return format.env ?? provider.env[0]
}
