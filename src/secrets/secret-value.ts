/**
 * Checks on a secret value before it is stored (`secret set`, `secret rotate`): refuse what is
 * certainly wrong, warn about what is probably wrong. Messages show only a masked preview.
 */
import {VaultError} from '../cli/errors.js'
import {maskPreview} from '../cli/key-like.js'
import {validateInjectedEnvName} from '../runtime/env.js'
import {compileFormat, formatsForEnv} from './providers/formats.js'
import {ENV_NAME_PATTERN, type Provider} from './providers/schema.js'
import {isPublicJwtRole, jwtRole} from './jwt-role.js'

/** Values shorter than this are almost certainly not API keys. */
const SHORT_VALUE = 8
/** The one preview rule (key-like.ts), re-exported where secret values are checked. */
export {maskPreview} from '../cli/key-like.js'

/**
 * Turn stdin bytes into a secret: strip exactly one trailing newline (what `echo` and editors
 * add), refuse NUL bytes and invalid UTF-8 (both mean the wrong thing was piped in).
 */
export function normaliseSecretInput(buf: Buffer): string {
  if (buf.includes(0)) {
    throw new VaultError('INVALID_INPUT', 'the secret contains a NUL byte; pipe in the key itself, not a binary file', {
      suggestions: ['for a credential file (e.g. a service account JSON), check that the file is text'],
    })
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(buf)
  } catch {
    throw new VaultError('INVALID_INPUT', 'the secret is not valid UTF-8 text; pipe in the key itself')
  }
  if (text.endsWith('\r\n')) return text.slice(0, -2)
  if (text.endsWith('\n')) return text.slice(0, -1)
  return text
}

export interface SecretCheckOptions {
  /** store a value that does not match the provider's format (a warning instead of an error) */
  force?: boolean
}

/**
 * An env name a key may be stored under: portable, and one run would inject (not PATH, NODE_OPTIONS,
 * LD_*, proxies, CA settings ...). Commands call it on --env before asking for the key.
 */
export function checkSecretEnvName(env: string, example = 'OPENAI_API_KEY'): void {
  if (!ENV_NAME_PATTERN.test(env)) {
    throw new VaultError('INVALID_INPUT', `env name "${env}" is not valid; nothing was stored`, {suggestions: [`use capitals, digits and underscores, e.g. --env ${example}`]})
  }
  try {
    validateInjectedEnvName(env)
  } catch (error) {
    throw new VaultError('INVALID_INPUT', `--env ${env}: ${(error as VaultError).message.replace(/^run: /, '')}; nothing was stored`, {suggestions: (error as VaultError).suggestions})
  }
}

export function checkSecretValue(provider: Provider, env: string, value: string, {force = false}: SecretCheckOptions = {}): {warnings: string[]} {
  const warnings: string[] = []
  checkSecretEnvName(env, provider.env[0])
  if (value.trim() === '') {
    throw new VaultError('INVALID_INPUT', `the value for ${env} is empty; nothing was stored`, {suggestions: [`pipe the key in (pbpaste | codex-vault secret set ${provider.id}), or run it in a terminal and paste the key at the hidden prompt`]})
  }
  const preview = maskPreview(value)
  if (value !== value.trim()) warnings.push(`the value ${preview} has leading or trailing whitespace; it is stored as given`)
  if (Array.from(value).length < SHORT_VALUE) warnings.push(`the value ${preview} is very short for an API key`)
  if (!provider.env.includes(env)) {
    warnings.push(`${env} is not an env name ${provider.name} SDKs read (${provider.env.join(', ')}); the app must read it itself`)
  }

  const refuse = (message: string, suggestions: string[]) => {
    if (!force) throw new VaultError('INVALID_INPUT', message, {suggestions: [...suggestions, 'if you are sure, repeat with --force']})
    warnings.push(`${message} (stored anyway because of --force)`)
  }

  const publicFormat = provider.keyFormats.find((format) => format.public && compileFormat(format).test(value))
  if (publicFormat !== undefined || (provider.publicEnv ?? []).includes(env) || isPublicJwtRole(jwtRole(value))) {
    refuse(`the value ${preview} for ${env} is a public-by-design ${provider.name} key, not a secret`, [
      `store the ${provider.name} secret key instead`,
    ])
    return {warnings}
  }

  const formats = formatsForEnv(provider, env)
  if (formats.length > 0 && !formats.some((format) => compileFormat(format).test(value))) {
    const expected = formats.map((format) => format.description ?? format.id).join(' or ')
    refuse(`the value ${preview} does not match the ${provider.name} key format for ${env} (expected ${expected})`, [
      'check that you copied the whole key and picked the right provider',
    ])
  }
  return {warnings}
}
