/**
 * `secret import FILE`: decide, for every entry of a .env file, whether it is a provider secret to
 * move into the vault. Output objects hold names and line numbers only, so they can be printed or
 * serialised as they are; the values to store are returned in a separate Map.
 */
import type {DotenvEntry} from './dotenv.js'
import {isPublicJwtRole, jwtRole} from './jwt-role.js'
import type {Catalog, ValueMatch} from './providers/catalog.js'
import {compileFormat, envForFormat, formatsForEnv} from './providers/formats.js'
import type {Provider} from './providers/schema.js'

export interface ImportMatch {
  /** the name in the .env file */
  key: string
  line: number
  /** provider id */
  provider: string
  /** the env name to store it under: the key itself for a name match, else the format's env or the provider's primary env */
  env: string
  /** how it was recognised */
  by: 'env' | 'format'
  /** the key format that matched, when one did */
  format?: string
}

export interface ImportPlan {
  matched: ImportMatch[]
  /** not a provider credential we know: left in the file */
  unrecognised: {key: string; line: number}[]
  /** public by design (publishable keys, anon keys, browser-exposed names): never imported, left in the file */
  public: {key: string; line: number; provider?: string; reason: string}[]
  /** looks like a provider's but cannot be imported as it is: left in the file */
  rejected: {key: string; line: number; reason: string}[]
  /** one name assigned different values: which one is meant is the user's call, so none is imported and every line stays */
  conflicts: {key: string; lines: number[]; reason: string}[]
  /** .env key -> value, for `matched` entries only; never serialise this */
  values: Map<string, string>
}

/** Names bundlers expose to browser code: whatever they hold is public. */
const BROWSER_PREFIXES = ['NEXT_PUBLIC_', 'VITE_', 'PUBLIC_', 'EXPO_PUBLIC_', 'REACT_APP_', 'NUXT_PUBLIC_', 'GATSBY_']

const PLACEHOLDER = new RegExp([
  String.raw`^(?:x+|\*+|0+|\.+|-+|_+)$`,
  String.raw`^<[^>]*>$`, String.raw`^\$\{[^}]*\}$`, String.raw`^\$[A-Z_][A-Z0-9_]*$`, String.raw`^\{\{.*\}\}$`, String.raw`^%[^%]+%$`,
  String.raw`\.\.\.|…`,
  String.raw`^(?:change[-_ ]?me|replace[-_ ]?me|todo|tbd|none|null|undefined|placeholder|example|dummy|fake|secret|password|token|api[-_]?key|key)$`,
  String.raw`your[-_ ]?(?:own[-_ ]?)?(?:[a-z]+[-_ ])?(?:api[-_ ]?)?(?:key|token|secret)`,
  String.raw`(?:key|token|secret)[-_ ]?(?:goes[-_ ])?here`,
].join('|'), 'i')

/** Values people leave in .env.example files; importing them would store garbage. */
export function isPlaceholder(value: string): boolean {
  return PLACEHOLDER.test(value) || /^(.)\1+$/.test(value)
}

const describe = (matches: ValueMatch[]) => [...new Set(matches.map((m) => m.provider.name))].join(', ')

export function planImport(entries: DotenvEntry[], catalog: Catalog): ImportPlan {
  const plan: ImportPlan = {matched: [], unrecognised: [], public: [], rejected: [], conflicts: [], values: new Map()}
  // dotenv would take the last assignment, but with different values the file is ambiguous (an old
  // key left above a new one, or the other way round): guessing could store the wrong key and
  // scrub the right one, so such a name is left alone. Repeats of one value count once.
  const byKey = new Map<string, DotenvEntry[]>()
  for (const entry of entries) byKey.set(entry.key, [...byKey.get(entry.key) ?? [], entry])
  const last: DotenvEntry[] = []
  for (const [key, list] of byKey) {
    if (new Set(list.map((entry) => entry.value)).size > 1) {
      const lines = list.map((entry) => entry.line)
      plan.conflicts.push({key, lines, reason: `assigned ${list.length} times with different values (lines ${lines.join(', ')}); none imported, all left in the file: keep the one you mean and import again`})
    } else {
      last.push(list[list.length - 1])
    }
  }

  for (const {key, line, value} of last) {
    const reject = (reason: string) => plan.rejected.push({key, line, reason})
    const named = catalog.byEnv(key)[0]
    const publicOwner = catalog.byPublicEnv(key)[0]
    if (value.trim() === '') {
      if (named) reject('empty value')
      else plan.unrecognised.push({key, line})
      continue
    }
    const matches = catalog.matchValue(value)
    const publicMatch = matches.find((m) => m.format.public)
    const secretMatches = matches.filter((m) => !m.format.public)
    const strongMatches = secretMatches.filter((m) => !m.format.shared)
    const browserName = BROWSER_PREFIXES.some((prefix) => key.startsWith(prefix))

    if (publicOwner || publicMatch || isPublicJwtRole(jwtRole(value))) {
      const provider = publicOwner?.id ?? publicMatch?.provider.id ?? (named ? named.id : undefined)
      plan.public.push({key, line, provider, reason: publicMatch ? `${publicMatch.provider.name} ${publicMatch.format.id} is public by design` : 'public by design (anon or publishable key)'})
      continue
    }
    if (browserName) {
      if (strongMatches.length > 0) {
        // A real secret in a browser-bundled name: moving it would break the build and hide the leak.
        reject(`holds a ${describe(strongMatches)} secret in a browser-exposed name; rotate the key and read it server-side only`)
      } else {
        plan.unrecognised.push({key, line})
      }
      continue
    }

    if (named) {
      const result = matchByName(named, key, value, strongMatches)
      if (typeof result === 'string') reject(result)
      else {
        plan.matched.push({key, line, provider: named.id, env: key, by: 'env', ...result})
        plan.values.set(key, value)
      }
      continue
    }

    const providers = new Set(strongMatches.map((m) => m.provider.id))
    if (providers.size === 0) {
      plan.unrecognised.push({key, line})
    } else if (providers.size > 1) {
      reject(`matches the key formats of several providers (${describe(strongMatches)}); store it with \`secret set PROVIDER\``)
    } else {
      const {provider, format} = strongMatches[0]
      if (provider.credentialFile) {
        reject(`${provider.name} credentials are files; store it with \`secret set ${provider.id}\``)
        continue
      }
      plan.matched.push({key, line, provider: provider.id, env: envForFormat(provider, format), by: 'format', format: format.id})
      plan.values.set(key, value)
    }
  }
  dropDuplicateTargets(plan)
  return plan
}

/** A name match: the value must fit the provider's format for that name, when it has one. */
function matchByName(provider: Provider, key: string, value: string, strongMatches: ValueMatch[]): string | {format?: string} {
  if (provider.credentialFile) {
    return `holds a path to a ${provider.name} credential file; store the file itself with \`secret set ${provider.id} --env ${key}\``
  }
  if (isPlaceholder(value)) return 'looks like a placeholder, not a key'
  const formats = formatsForEnv(provider, key)
  if (formats.length === 0) return {}
  const format = formats.find((f) => compileFormat(f).test(value))
  if (format) return {format: format.id}
  const other = strongMatches.find((m) => m.provider.id !== provider.id)
  if (other) {
    // e.g. an OpenRouter key in OPENAI_API_KEY next to an OPENAI_BASE_URL pointing at OpenRouter
    return `holds a ${other.provider.name} key, not a ${provider.name} key; store it with \`secret set ${other.provider.id} --env ${key}\``
  }
  return `value does not match the ${provider.name} key format for ${key} (expected ${formats.map((f) => f.description ?? f.id).join(' or ')})`
}

/** Two entries cannot both become one provider's env var: keep a name match, else the first line. */
function dropDuplicateTargets(plan: ImportPlan): void {
  const winners = new Map<string, ImportMatch>()
  const ordered = [...plan.matched].sort((a, b) => (a.by === b.by ? a.line - b.line : a.by === 'env' ? -1 : 1))
  for (const match of ordered) {
    const target = `${match.provider}/${match.env}`
    if (!winners.has(target)) winners.set(target, match)
  }
  const kept = new Set(winners.values())
  plan.matched = plan.matched.filter((match) => {
    if (kept.has(match)) return true
    const winner = winners.get(`${match.provider}/${match.env}`)!
    plan.rejected.push({key: match.key, line: match.line, reason: `${winner.key} (line ${winner.line}) already supplies ${match.provider} ${match.env}`})
    plan.values.delete(match.key)
    return false
  })
}
