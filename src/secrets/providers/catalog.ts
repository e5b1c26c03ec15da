/**
 * The provider catalog: built-ins plus user-defined providers (a user provider replaces the
 * built-in with the same id; `provider add` lets one in only with --replace-builtin, see
 * manage.ts). Loaded on every command's boot, so built-ins take a fast path: they are trusted data
 * whose schema validity the test suite proves, and only defaults are filled in here. User providers
 * are untrusted and validated (without the admission rules of `provider add`, so that a vault that
 * stored a definition before a rule existed still opens). Regexes compile lazily on first match.
 */
import {VaultError} from '../../cli/errors.js'
import {BUILTIN_PROVIDERS} from './builtin.js'
import {compileFormat, hasKeyword} from './formats.js'
import type {KeyFormat, Provider, ProviderInput} from './schema.js'
import {validateProviders} from './validate.js'

export interface ValueMatch {
  provider: Provider
  format: KeyFormat
}

export interface Catalog {
  /** built-ins (in catalog order, replaced in place by user versions), then new user providers */
  providers: Provider[]
  get(id: string): Provider | undefined
  /** like get(), but an unknown id is an INVALID_INPUT error naming the known ids */
  require(id: string): Provider
  /** providers whose `env` lists the name (secret names only, not publicEnv); user-defined first */
  byEnv(name: string): Provider[]
  /** providers whose `publicEnv` lists the name */
  byPublicEnv(name: string): Provider[]
  byCapability(capability: string): Provider | undefined
  /** every format (public ones included) whose pattern matches the whole value */
  matchValue(value: string): ValueMatch[]
  /** ids of the providers that came from the user catalog */
  userDefined: ReadonlySet<string>
}

/** What zod's defaults would produce, without paying for a parse (built-ins only). */
export function normaliseBuiltin(input: ProviderInput): Provider {
  const detect = input.detect ?? {}
  return {
    ...input,
    keyFormats: (input.keyFormats ?? []).map((format) => ({...format})),
    detect: {
      npm: detect.npm ?? [],
      pypi: detect.pypi ?? [],
      go: detect.go ?? [],
      cargo: detect.cargo ?? [],
      gem: detect.gem ?? [],
      composer: detect.composer ?? [],
      imports: detect.imports ?? [],
      constructors: detect.constructors ?? [],
      keywords: detect.keywords ?? [],
    },
    baseUrls: input.baseUrls ?? [],
  }
}

/** The built-in definition with this id, defaults filled in; undefined for any other id. */
export function builtinProvider(id: string): Provider | undefined {
  const input = BUILTIN_PROVIDERS.find((candidate) => candidate.id === id)
  return input && normaliseBuiltin(input)
}

function pushTo(map: Map<string, Provider[]>, key: string, provider: Provider): void {
  const list = map.get(key)
  if (list) list.push(provider)
  else map.set(key, [provider])
}

export function loadCatalog(userProviders: unknown[]): Catalog {
  const user = userProviders.length === 0 ? [] : validateProviders(userProviders, 'user provider catalog')
  const userById = new Map(user.map((provider) => [provider.id, provider]))
  const providers: Provider[] = []
  for (const input of BUILTIN_PROVIDERS) providers.push(userById.get(input.id) ?? normaliseBuiltin(input))
  const builtinIds = new Set(BUILTIN_PROVIDERS.map((input) => input.id))
  for (const provider of user) if (!builtinIds.has(provider.id)) providers.push(provider)

  const byId = new Map(providers.map((provider) => [provider.id, provider]))
  const env = new Map<string, Provider[]>()
  const publicEnv = new Map<string, Provider[]>()
  const capabilities = new Map<string, Provider>()
  // User providers are indexed first: a user who defines a provider on a shared name means it.
  const ordered = [...providers.filter((p) => userById.has(p.id)), ...providers.filter((p) => !userById.has(p.id))]
  for (const provider of ordered) {
    for (const name of provider.env) pushTo(env, name, provider)
    for (const name of provider.publicEnv ?? []) pushTo(publicEnv, name, provider)
    for (const capability of provider.capabilities) if (!capabilities.has(capability)) capabilities.set(capability, provider)
  }

  let compiled: {provider: Provider; format: KeyFormat; regex: RegExp}[] | undefined
  const matchers = () => {
    compiled ??= providers.flatMap((provider) =>
      provider.keyFormats.map((format) => ({provider, format, regex: compileFormat(format)})))
    return compiled
  }

  return {
    providers,
    userDefined: new Set(userById.keys()),
    get: (id) => byId.get(id),
    require(id) {
      const provider = byId.get(id)
      if (provider) return provider
      const known = providers.map((p) => p.id)
      throw new VaultError('INVALID_INPUT', `unknown provider "${id}"; known providers: ${known.join(', ')}`, {
        details: {known},
        suggestions: ['run `codex-vault provider list` to see the catalog', 'define it with `codex-vault provider add FILE`'],
      })
    },
    byEnv: (name) => [...(env.get(name) ?? [])],
    byPublicEnv: (name) => [...(publicEnv.get(name) ?? [])],
    byCapability: (capability) => capabilities.get(capability),
    matchValue(value) {
      const lower = value.toLowerCase()
      const matches: ValueMatch[] = []
      for (const {provider, format, regex} of matchers()) {
        if (hasKeyword(format, lower) && regex.test(value)) matches.push({provider, format})
      }
      return matches
    },
  }
}
