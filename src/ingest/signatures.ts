/**
 * Compiles a provider list into lookup tables and regexes once per scan, so that per-file work is a
 * handful of passes whatever the size of the catalog.
 */
import type {KeyFormat, Provider} from '../secrets/providers/schema.js'
import {KeywordScanner, type KeywordHit} from './keyword-scanner.js'

export interface LeakRule {
  id: string
  provider: Provider
  format: KeyFormat
  /** global, unanchored, with token boundaries on both sides */
  regex: RegExp
}

/**
 * A provider credential with no key format to recognise it by (Mistral, Cohere, Azure keys, the AWS
 * secret key...): a value is a leak when it is assigned to this env name (see leaks.ts).
 */
export interface AssignmentRule {
  provider: Provider
  env: string
}

interface KeywordTargets {
  rules: LeakRule[]
  /** env names (the keyword, any case) whose assigned values are checked */
  assignments: AssignmentRule[]
  mentions: Provider[]
  /** SDK constructor names (case as written) whose lowercase form is this keyword */
  constructors: {name: string; providers: Provider[]}[]
}

export interface Signatures {
  providers: Provider[]
  byEnv: Map<string, Provider[]>
  /** env names that carry a provider's public-by-design values (publishable, anon keys) */
  byPublicEnv: Map<string, Provider[]>
  /** JS/TS module specifiers: npm names and detect.imports */
  byJsModule: Map<string, Provider[]>
  /** Python modules: detect.imports and pypi names with '-' -> '_' */
  byPyModule: Map<string, Provider[]>
  /** pypi distribution names, normalised (lowercase, runs of -_. -> -) */
  byPypi: Map<string, Provider[]>
  byGo: Map<string, Provider[]>
  byCargo: Map<string, Provider[]>
  byGem: Map<string, Provider[]>
  byComposer: Map<string, Provider[]>
  byNpm: Map<string, Provider[]>
  /** Ruby requires, PHP namespaces, Rust crates as written in code */
  byOtherImport: Map<string, Provider[]>
  byConstructor: Map<string, Provider[]>
  /** one combined prefilter over every leak keyword, mention keyword and constructor name */
  scanner: KeywordScanner
  byKeyword: Map<string, KeywordTargets>
  rules: LeakRule[]
  /** whether some env name has an AssignmentRule */
  hasAssignments: boolean
  aggregators: Provider[]
  /** each aggregator's base-URL hosts, parsed once per scan rather than once per file */
  aggregatorHosts: Map<Provider, string[]>
  /** the aggregator that plain "vendor/model" strings in the Vercel AI SDK (`ai`) go through */
  gatewayForAiSdk: Provider | undefined
  modelVendors: Set<string>
}

/** Model vendors that appear as the first half of "vendor/model" ids in aggregator calls. */
const MODEL_VENDORS = [
  'openai', 'anthropic', 'google', 'mistral', 'mistralai', 'meta', 'meta-llama', 'cohere', 'xai', 'x-ai',
  'deepseek', 'deepseek-ai', 'qwen', 'amazon', 'perplexity', 'groq', 'nvidia', 'microsoft', 'moonshotai',
  'alibaba', 'zai', 'z-ai', 'nousresearch', 'ai21', 'inception', 'minimax', 'baidu', 'bytedance',
]

/** Constructor names too generic to mean a provider on their own. */
const GENERIC_CONSTRUCTORS = new Set(['Client', 'Api', 'API', 'Config', 'Configuration', 'Session'])

export function normalisePypi(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-')
}

function add(map: Map<string, Provider[]>, key: string, provider: Provider): void {
  const list = map.get(key)
  if (!list) map.set(key, [provider])
  else if (!list.includes(provider)) list.push(provider)
}

/** Catalog patterns match a whole value; searching text needs them unanchored but token-bounded. */
export function searchRegex(pattern: string): RegExp {
  let source = pattern
  if (source.startsWith('^')) source = source.slice(1)
  if (source.endsWith('$') && !source.endsWith('\\$')) source = source.slice(0, -1)
  return new RegExp(`(?<![A-Za-z0-9_-])(?:${source})(?![A-Za-z0-9_-])`, 'g')
}

export function compileSignatures(providers: Provider[]): Signatures {
  const sig: Signatures = {
    providers,
    byEnv: new Map(),
    byPublicEnv: new Map(),
    byJsModule: new Map(),
    byPyModule: new Map(),
    byPypi: new Map(),
    byGo: new Map(),
    byCargo: new Map(),
    byGem: new Map(),
    byComposer: new Map(),
    byNpm: new Map(),
    byOtherImport: new Map(),
    byConstructor: new Map(),
    scanner: new KeywordScanner([]),
    byKeyword: new Map(),
    rules: [],
    hasAssignments: false,
    aggregators: [],
    aggregatorHosts: new Map(),
    gatewayForAiSdk: undefined,
    modelVendors: new Set(MODEL_VENDORS),
  }
  const keywordTargets = new Map<string, KeywordTargets>()
  const target = (keyword: string): KeywordTargets => {
    const key = keyword.toLowerCase()
    let entry = keywordTargets.get(key)
    if (!entry) keywordTargets.set(key, (entry = {rules: [], assignments: [], mentions: [], constructors: []}))
    return entry
  }
  for (const provider of providers) {
    sig.modelVendors.add(provider.id)
    for (const env of provider.env) add(sig.byEnv, env, provider)
    for (const env of provider.publicEnv ?? []) add(sig.byPublicEnv, env, provider)
    const d = provider.detect
    for (const name of d.npm) {
      add(sig.byNpm, name, provider)
      add(sig.byJsModule, name, provider)
    }
    for (const name of d.pypi) {
      add(sig.byPypi, normalisePypi(name), provider)
      add(sig.byPyModule, name.toLowerCase().replace(/-/g, '_'), provider)
    }
    for (const name of d.go) add(sig.byGo, goModuleKey(name), provider)
    for (const name of d.cargo) {
      add(sig.byCargo, name, provider)
      add(sig.byOtherImport, name.replace(/-/g, '_'), provider)
    }
    for (const name of d.gem) {
      add(sig.byGem, name, provider)
      add(sig.byOtherImport, name, provider)
    }
    for (const name of d.composer) add(sig.byComposer, name.toLowerCase(), provider)
    for (const name of d.imports) {
      add(sig.byJsModule, name, provider)
      add(sig.byPyModule, name, provider)
      add(sig.byGo, goModuleKey(name), provider)
      add(sig.byOtherImport, name, provider)
    }
    for (const name of d.constructors) {
      if (GENERIC_CONSTRUCTORS.has(name)) continue
      add(sig.byConstructor, name, provider)
    }
    for (const keyword of d.keywords) {
      const t = target(keyword)
      if (!t.mentions.includes(provider)) t.mentions.push(provider)
    }
    for (const format of provider.keyFormats) {
      const rule: LeakRule = {id: format.id, provider, format, regex: searchRegex(format.pattern)}
      sig.rules.push(rule)
      for (const keyword of format.keywords) target(keyword).rules.push(rule)
    }
    for (const env of unformattedEnv(provider)) {
      target(env).assignments.push({provider, env})
      sig.hasAssignments = true
    }
    if (provider.aggregator) {
      sig.aggregators.push(provider)
      const hosts: string[] = []
      for (const url of provider.baseUrls) {
        try {
          hosts.push(new URL(url).host)
        } catch {
          // the schema validates URLs; an odd one just adds no context
        }
      }
      sig.aggregatorHosts.set(provider, hosts)
      if (d.npm.includes('@ai-sdk/gateway') || d.imports.includes('@ai-sdk/gateway')) sig.gatewayForAiSdk ??= provider
    }
  }
  for (const [name, list] of sig.byConstructor) target(name).constructors.push({name, providers: list})
  // The scanner reports every keyword at every offset, overlapping ones included.
  sig.byKeyword = keywordTargets
  sig.scanner = new KeywordScanner(keywordTargets.keys())
  return sig
}

/**
 * A provider's env names that no key format covers: every one when it has no format at all, else
 * those not named by a format's `env` (a format without `env` covers them all). A credential file's
 * env holds a path, not a key.
 */
export function unformattedEnv(provider: Provider): string[] {
  if (provider.credentialFile) return []
  if (provider.keyFormats.some((f) => f.env === undefined)) return []
  const covered = new Set(provider.keyFormats.map((f) => f.env))
  return provider.env.filter((env) => !covered.has(env))
}

/** Providers for a JS/TS module specifier: exact, then its package name ('@scope/pkg' or 'pkg'). */
export function jsModuleProviders(sig: Signatures, spec: string): Provider[] {
  const exact = sig.byJsModule.get(spec)
  if (exact) return exact
  // The package name ends at the first '/' (the second for a scope): no split, this runs per import.
  const end = spec.indexOf('/', spec.startsWith('@') ? spec.indexOf('/') + 1 : 0)
  // No such '/': the package name is the whole specifier, already looked up.
  return end === -1 ? [] : (sig.byJsModule.get(spec.slice(0, end)) ?? [])
}

/** Providers for a dotted Python module: the longest listed prefix wins. */
export function pyModuleProviders(sig: Signatures, module: string): Provider[] {
  const parts = module.split('.')
  for (let n = parts.length; n > 0; n--) {
    const found = sig.byPyModule.get(parts.slice(0, n).join('.'))
    if (found) return found
  }
  return []
}

/**
 * A Go module or import path without its major-version segments: `github.com/stripe/stripe-go/v79/customer`
 * -> `github.com/stripe/stripe-go/customer`. Go puts a /vN suffix on every module path from v2 on, and
 * SDKs such as stripe-go bump it often (v76 to v82 in a few years); the catalog lists one version, an app uses any.
 */
export function goModuleKey(importPath: string): string {
  return importPath.includes('/v') ? importPath.replace(/\/v\d+(?=\/|$)/g, '') : importPath
}

/** Providers for a Go import path or module path, any major version: the longest listed path prefix wins. */
export function goPathProviders(sig: Signatures, importPath: string): Provider[] {
  const parts = goModuleKey(importPath).split('/')
  for (let n = parts.length; n > 0; n--) {
    const found = sig.byGo.get(parts.slice(0, n).join('/'))
    if (found) return found
  }
  return []
}

/** The one prefilter pass per file: every occurrence of any keyword, in offset order. */
export function findKeywordHits(sig: Signatures, bytes: Uint8Array, length = bytes.length): KeywordHit[] {
  return sig.scanner.scan(bytes, length)
}
