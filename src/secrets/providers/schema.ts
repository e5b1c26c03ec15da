/**
 * The provider catalog's data model: one strict zod schema shared by the built-in catalog,
 * user-defined provider files (`provider add FILE`), `secret set` format checks, `secret import`
 * matching, the scanner's detection signatures and `run`'s env injection.
 */
// Named imports (not `z`): a bundler can then drop the zod code this file does not use.
import {array, boolean, strictObject, string, union} from 'zod'
import type {z} from 'zod'

/** `<domain>.<provider>.<action>`, lowercase segments; wildcards are not allowed in a catalog. */
export const CAPABILITY_PATTERN = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/
/** Portable env var names; `run` refuses anything else (see runtime/env). */
export const ENV_NAME_PATTERN = /^[A-Z_][A-Z0-9_]{0,127}$/
export const PROVIDER_ID_PATTERN = /^[a-z][a-z0-9-]{0,39}$/

/** A JS regex source that must compile and must not match the empty string. */
const regexSource = string().min(1).max(1000).superRefine((source, ctx) => {
  try {
    if (new RegExp(source).test('')) ctx.addIssue({code: 'custom', message: 'pattern matches the empty string'})
  } catch (error) {
    ctx.addIssue({code: 'custom', message: `not a valid regular expression: ${(error as Error).message}`})
  }
})

export const capabilitySchema = string().regex(CAPABILITY_PATTERN, 'must be <domain>.<provider>.<action>, e.g. ai.openai.inference')
export const envNameSchema = string().regex(ENV_NAME_PATTERN, 'must match ^[A-Z_][A-Z0-9_]*$')

/** One recognisable key format; `keywords` feed the scanner's combined prefilter (lowercase substrings). */
export const keyFormatSchema = strictObject({
  /** stable rule id reported by scan, e.g. "anthropic-api-key" */
  id: string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  /** the whole value must match this (anchored by the user of the pattern) */
  pattern: regexSource,
  /** lowercase literal substrings, at least one of which occurs in every match */
  keywords: array(string().min(2)).min(1),
  /** public by design (publishable keys, anon JWTs): never a leak, never a required secret */
  public: boolean().optional(),
  /** which of the provider's credentials this is, when a provider has several (env name) */
  env: envNameSchema.optional(),
  /**
   * the format is shared with other products or vendors (a Google `AIza` key may be a Maps or
   * Firebase key; any JWT looks alike): a value alone does not identify the provider
   */
  shared: boolean().optional(),
  /** short human hint of the shape, shown when a value does not match, e.g. "sk-ant-api03-…AA" */
  description: string().min(1).max(120).optional(),
})

export const detectSchema = strictObject({
  npm: array(string()).default([]),
  pypi: array(string()).default([]),
  go: array(string()).default([]),
  cargo: array(string()).default([]),
  gem: array(string()).default([]),
  composer: array(string()).default([]),
  /** module specifiers / import paths as written in code (JS/TS, Python, Go, Ruby, PHP) */
  imports: array(string()).default([]),
  /** constructor or factory names that read the key implicitly, e.g. "OpenAI", "Anthropic" */
  constructors: array(string()).default([]),
  /** lowercase words that mark a mention in prose or comments (weak evidence) */
  keywords: array(string()).default([]),
})

export const providerSchema = strictObject({
  id: string().regex(PROVIDER_ID_PATTERN, 'must be lowercase letters, digits and dashes'),
  name: string().min(1).max(80),
  capabilities: array(capabilitySchema).min(1),
  /** env names the official SDKs and common wrappers read, primary first */
  env: array(envNameSchema).min(1),
  keyFormats: array(keyFormatSchema).default([]),
  detect: detectSchema.default({npm: [], pypi: [], go: [], cargo: [], gem: [], composer: [], imports: [], constructors: [], keywords: []}),
  baseUrls: array(string().url()).default([]),
  /** an aggregator routes other vendors' model ids ("anthropic/claude-...") on its own credential */
  aggregator: boolean().optional(),
  /** the credential is a file whose path goes in the primary env var (Vertex AI service account) */
  credentialFile: boolean().optional(),
  /**
   * env names that carry public-by-design values of this provider (publishable keys, anon keys):
   * recognised as this provider's, never imported or required as secrets
   */
  publicEnv: array(envNameSchema).optional(),
})

export type Provider = z.infer<typeof providerSchema>
export type KeyFormat = z.infer<typeof keyFormatSchema>
export type ProviderInput = z.input<typeof providerSchema>

/** A provider file holds one provider or a list of them. */
export const providerFileSchema = union([providerSchema, array(providerSchema).min(1)])
