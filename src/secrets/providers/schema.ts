/**
 * The provider catalog's data model: one strict zod schema shared by the built-in catalog,
 * user-defined provider files (`provider add FILE`), `secret set` format checks, `secret import`
 * matching, the scanner's detection signatures and `run`'s env injection.
 */
// zod/mini, not classic zod: the vault body embeds these schemas, and every `run` builds them at
// startup. A classic schema binds ~40 methods onto each instance; mini schemas keep them on the
// prototype, which makes building them about twice as cheap. Parsing is the same core code.
import '../zod-config.js' // first: jitless and English messages before any schema is built
import {_default, array, boolean, maxLength, minLength, optional, regex, strictObject, string, superRefine, union, url} from 'zod/mini'
import type {z} from 'zod/mini'

/** `<domain>.<provider>.<action>`, lowercase segments; wildcards are not allowed in a catalog. */
export const CAPABILITY_PATTERN = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/
/** Portable env var names; `run` refuses anything else (see runtime/env). */
export const ENV_NAME_PATTERN = /^[A-Z_][A-Z0-9_]{0,127}$/
export const PROVIDER_ID_PATTERN = /^[a-z][a-z0-9-]{0,39}$/

/** A JS regex source that must compile and must not match the empty string. */
const regexSource = string().check(minLength(1), maxLength(1000), superRefine((source, ctx) => {
  try {
    if (new RegExp(source).test('')) ctx.addIssue({code: 'custom', message: 'pattern matches the empty string'})
  } catch (error) {
    ctx.addIssue({code: 'custom', message: `not a valid regular expression: ${(error as Error).message}`})
  }
}))

export const capabilitySchema = string().check(regex(CAPABILITY_PATTERN, 'must be <domain>.<provider>.<action>, e.g. ai.openai.inference'))
export const envNameSchema = string().check(regex(ENV_NAME_PATTERN, 'must match ^[A-Z_][A-Z0-9_]*$'))

/** One recognisable key format; `keywords` feed the scanner's combined prefilter (lowercase substrings). */
export const keyFormatSchema = strictObject({
  /** stable rule id reported by scan, e.g. "anthropic-api-key" */
  id: string().check(regex(/^[a-z0-9][a-z0-9-]{0,63}$/)),
  /** the whole value must match this (anchored by the user of the pattern) */
  pattern: regexSource,
  /** lowercase literal substrings, at least one of which occurs in every match */
  keywords: array(string().check(minLength(2))).check(minLength(1)),
  /** public by design (publishable keys, anon JWTs): never a leak, never a required secret */
  public: optional(boolean()),
  /** which of the provider's credentials this is, when a provider has several (env name) */
  env: optional(envNameSchema),
  /**
   * the format is shared with other products or vendors (a Google `AIza` key may be a Maps or
   * Firebase key; any JWT looks alike): a value alone does not identify the provider
   */
  shared: optional(boolean()),
  /** short human hint of the shape, shown when a value does not match, e.g. "sk-ant-api03-…AA" */
  description: optional(string().check(minLength(1), maxLength(120))),
})

export const detectSchema = strictObject({
  npm: _default(array(string()), []),
  pypi: _default(array(string()), []),
  go: _default(array(string()), []),
  cargo: _default(array(string()), []),
  gem: _default(array(string()), []),
  composer: _default(array(string()), []),
  /** module specifiers / import paths as written in code (JS/TS, Python, Go, Ruby, PHP) */
  imports: _default(array(string()), []),
  /** constructor or factory names that read the key implicitly, e.g. "OpenAI", "Anthropic" */
  constructors: _default(array(string()), []),
  /** lowercase words that mark a mention in prose or comments (weak evidence) */
  keywords: _default(array(string()), []),
})

/**
 * How `run --mediate` stands in for this provider's key: the child gets a placeholder key and a
 * base URL on codex-vault's loopback proxy, which swaps the placeholder for the real key wherever
 * the SDK put it (whichever header, or `query`) and forwards to `upstream`. Only for providers
 * whose SDKs read a base URL from the environment.
 */
export const mediationSchema = strictObject({
  /** the env var the SDKs read for the API's base URL, e.g. OPENAI_BASE_URL */
  baseUrlEnv: envNameSchema,
  /** other names wrappers read for the same URL (LangChain's OPENAI_API_BASE); set to the same address */
  baseUrlAliases: optional(array(envNameSchema)),
  /** where requests go: https, or plain http to a loopback host only (checked in validate.ts) */
  upstream: url(),
  /** a query parameter that may carry the key instead of the header (Gemini's ?key=) */
  query: optional(string().check(regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must be a query parameter name'))),
})

export const providerSchema = strictObject({
  id: string().check(regex(PROVIDER_ID_PATTERN, 'must be lowercase letters, digits and dashes')),
  name: string().check(minLength(1), maxLength(80)),
  capabilities: array(capabilitySchema).check(minLength(1)),
  /** env names the official SDKs and common wrappers read, primary first */
  env: array(envNameSchema).check(minLength(1)),
  keyFormats: _default(array(keyFormatSchema), []),
  detect: _default(detectSchema, {npm: [], pypi: [], go: [], cargo: [], gem: [], composer: [], imports: [], constructors: [], keywords: []}),
  baseUrls: _default(array(url()), []),
  /** an aggregator routes other vendors' model ids ("anthropic/claude-...") on its own credential */
  aggregator: optional(boolean()),
  /** the credential is a file whose path goes in the primary env var (Vertex AI service account) */
  credentialFile: optional(boolean()),
  /**
   * env names that carry public-by-design values of this provider (publishable keys, anon keys):
   * recognised as this provider's, never imported or required as secrets
   */
  publicEnv: optional(array(envNameSchema)),
  mediate: optional(mediationSchema),
})

export type Provider = z.infer<typeof providerSchema>
export type KeyFormat = z.infer<typeof keyFormatSchema>
export type ProviderInput = z.input<typeof providerSchema>
export type Mediation = z.infer<typeof mediationSchema>

/** A provider file holds one provider or a list of them. */
export const providerFileSchema = union([providerSchema, array(providerSchema).check(minLength(1))])
