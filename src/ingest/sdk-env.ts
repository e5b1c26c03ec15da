/**
 * The env var an SDK reads its key from by default, where that is not its provider's primary name
 * (the first of the catalog's `env`, which `resolve` falls back on). Evidence of such an SDK (its
 * import, its manifest entry, its constructor called without a key) carries the name, so that
 * `resolve` lists it for the capability and `run` injects the key under it as well: an app on
 * `@ai-sdk/google` finds nothing in GEMINI_API_KEY. Sources: research/scan-rules.md §3.
 *
 * A name is used only for providers whose env list holds it, so a user-defined provider that lists
 * the same package is never given a name `run` would refuse to inject.
 */
import type {Provider} from '../secrets/providers/schema.js'

/** npm package -> the env name it reads by default */
const JS_MODULE_ENV: ReadonlyMap<string, string> = new Map([
  ['@ai-sdk/google', 'GOOGLE_GENERATIVE_AI_API_KEY'], // google-provider.ts:234
  ['@langchain/google-genai', 'GOOGLE_API_KEY'], // chat_models.ts:705, GOOGLE_API_KEY only
  ['@ai-sdk/cohere', 'COHERE_API_KEY'], // the cohere-ai SDK itself reads CO_API_KEY
  ['@langchain/cohere', 'COHERE_API_KEY'],
  ['@ai-sdk/huggingface', 'HUGGINGFACE_API_KEY'], // huggingface_hub reads HF_TOKEN
  ['@ai-sdk/azure', 'AZURE_API_KEY'], // openai's AzureOpenAI reads AZURE_OPENAI_API_KEY
])

/** Python module (as imported; a PyPI name with '-' -> '_') -> the env name it reads by default */
const PY_MODULE_ENV: ReadonlyMap<string, string> = new Map([
  ['langchain_cohere', 'COHERE_API_KEY'], // LangChain's Cohere docs; the cohere SDK reads CO_API_KEY first
])

/** JS/TS constructors and factories -> the env name they read when given no key */
const JS_CONSTRUCTOR_ENV: ReadonlyMap<string, string> = new Map([
  ['createGoogleGenerativeAI', 'GOOGLE_GENERATIVE_AI_API_KEY'],
  ['ChatGoogleGenerativeAI', 'GOOGLE_API_KEY'],
  ['createCohere', 'COHERE_API_KEY'],
  ['ChatCohere', 'COHERE_API_KEY'],
  ['createHuggingFace', 'HUGGINGFACE_API_KEY'],
  ['createAzure', 'AZURE_API_KEY'],
])

const PY_CONSTRUCTOR_ENV: ReadonlyMap<string, string> = new Map([['ChatCohere', 'COHERE_API_KEY']])

function forProvider(provider: Provider, env: string | undefined): string | undefined {
  return env !== undefined && provider.env.includes(env) ? env : undefined
}

/** The npm package a specifier belongs to: '@scope/pkg' or 'pkg'. */
function packageName(spec: string): string {
  const end = spec.indexOf('/', spec.startsWith('@') ? spec.indexOf('/') + 1 : 0)
  return end === -1 ? spec : spec.slice(0, end)
}

/** The env name implied by importing (or depending on) a JS module, for this provider. */
export function jsModuleEnv(provider: Provider, spec: string): string | undefined {
  return forProvider(provider, JS_MODULE_ENV.get(spec) ?? JS_MODULE_ENV.get(packageName(spec)))
}

/** The env name implied by importing a Python module (dotted; the longest listed prefix wins). */
export function pyModuleEnv(provider: Provider, module: string): string | undefined {
  let name = module
  for (;;) {
    const env = PY_MODULE_ENV.get(name)
    if (env !== undefined) return forProvider(provider, env)
    const dot = name.lastIndexOf('.')
    if (dot === -1) return undefined
    name = name.slice(0, dot)
  }
}

/** The env name implied by a PyPI dependency (any spelling: 'langchain-cohere', 'LangChain_Cohere'). */
export function pypiEnv(provider: Provider, distribution: string): string | undefined {
  return pyModuleEnv(provider, distribution.toLowerCase().replace(/[-.]+/g, '_'))
}

/** The env name a constructor called without a key reads: the SDK's own, else the provider's primary. */
export function constructorEnv(provider: Provider, name: string, language: 'js' | 'py' | 'other'): string {
  const table = language === 'js' ? JS_CONSTRUCTOR_ENV : language === 'py' ? PY_CONSTRUCTOR_ENV : undefined
  return forProvider(provider, table?.get(name)) ?? provider.env[0]
}
