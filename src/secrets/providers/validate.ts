/**
 * Full validation of provider definitions from outside the code (provider files, the stored user
 * catalog): the strict zod schema plus the cross-field rules zod cannot express. Every problem is
 * reported with its field path, e.g. `[0].capabilities[1]: must be <domain>.<provider>.<action>`.
 */
import {VaultError} from '../../cli/errors.js'
import {validateInjectedEnvName} from '../../runtime/env.js'
import {regexHazard} from './regex-safety.js'
import {type Provider, providerSchema} from './schema.js'

export interface ProviderProblem {
  /** field path relative to one provider, e.g. ['capabilities', 1] */
  path: PropertyKey[]
  message: string
}

/** `[0].keyFormats[2].pattern` style; the empty path is the provider object itself. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else out += out === '' ? String(segment) : `.${String(segment)}`
  }
  return out
}

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  const rest = formatPath(path)
  if (prefix === '') return rest === '' ? '(root)' : rest
  if (rest === '') return prefix
  return rest.startsWith('[') ? `${prefix}${rest}` : `${prefix}.${rest}`
}

/** Rules across fields that keep the catalog unambiguous; built-ins satisfy them too (tested). */
export function providerProblems(provider: Provider): ProviderProblem[] {
  const problems: ProviderProblem[] = []
  const add = (path: PropertyKey[], message: string) => problems.push({path, message})

  provider.capabilities.forEach((capability, index) => {
    // One capability names one provider, so byCapability() and grants never need disambiguation.
    if (capability.split('.')[1] !== provider.id) add(['capabilities', index], `must name this provider: <domain>.${provider.id}.<action>`)
    if (provider.capabilities.indexOf(capability) !== index) add(['capabilities', index], `duplicate capability "${capability}"`)
  })
  provider.env.forEach((name, index) => {
    if (provider.env.indexOf(name) !== index) add(['env', index], `duplicate env name "${name}"`)
  })
  const publicEnv = provider.publicEnv ?? []
  publicEnv.forEach((name, index) => {
    if (provider.env.includes(name)) add(['publicEnv', index], `"${name}" is also listed in env; a name is either secret or public`)
  })
  const formatIds = provider.keyFormats.map((format) => format.id)
  provider.keyFormats.forEach((format, index) => {
    if (formatIds.indexOf(format.id) !== index) add(['keyFormats', index, 'id'], `duplicate key format id "${format.id}"`)
    if (format.env !== undefined && !provider.env.includes(format.env) && !publicEnv.includes(format.env)) {
      add(['keyFormats', index, 'env'], `"${format.env}" is not one of this provider's env or publicEnv names`)
    }
    format.keywords.forEach((keyword, k) => {
      // The scanner's prefilter lowercases the text it searches.
      if (keyword !== keyword.toLowerCase()) add(['keyFormats', index, 'keywords', k], 'must be lowercase')
    })
  })
  if (provider.mediate) problems.push(...mediationProblems(provider))
  return problems
}

/** `run` would refuse to set this name (PATH, NODE_OPTIONS, LD_*...): say so at `provider add`, not at the first run. */
function injectionProblem(name: string): string | undefined {
  try {
    validateInjectedEnvName(name)
    return undefined
  } catch (error) {
    return (error as Error).message.replace(/^run: /, '')
  }
}

/**
 * Rules for a definition entering the catalog (`provider add`), on top of providerProblems(): env
 * names `run` would refuse to inject, and key-format patterns that could hang scan. They are not
 * applied when the stored catalog loads, so a vault that took such a definition before these rules
 * existed still opens (run refuses the name there anyway) and `provider remove` can take it out.
 * Built-ins satisfy them too (tested).
 */
export function admissionProblems(provider: Provider): ProviderProblem[] {
  const problems: ProviderProblem[] = []
  const checkName = (path: PropertyKey[], name: string) => {
    const problem = injectionProblem(name)
    if (problem) problems.push({path, message: problem})
  }
  provider.env.forEach((name, index) => checkName(['env', index], name))
  const publicEnv = provider.publicEnv ?? []
  publicEnv.forEach((name, index) => checkName(['publicEnv', index], name))
  provider.keyFormats.forEach((format, index) => {
    // keyFormats[].env needs no check of its own: it must be one of the env or publicEnv names checked above
    const hazard = regexHazard(format.pattern)
    if (hazard) problems.push({path: ['keyFormats', index, 'pattern'], message: hazard})
  })
  return problems
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost'])

/** The key crosses the wire to `upstream`: only over TLS, or to this machine. */
function mediationProblems(provider: Provider): ProviderProblem[] {
  const mediate = provider.mediate!
  const problems: ProviderProblem[] = []
  const upstream = new URL(mediate.upstream)
  if (upstream.protocol !== 'https:' && !(upstream.protocol === 'http:' && LOOPBACK_HOSTS.has(upstream.hostname))) {
    problems.push({path: ['mediate', 'upstream'], message: 'must be an https URL (plain http only to 127.0.0.1, [::1] or localhost)'})
  }
  if (upstream.username || upstream.password || upstream.search || upstream.hash) {
    problems.push({path: ['mediate', 'upstream'], message: 'must be a plain base URL, without credentials, query or fragment'})
  }
  if (provider.env.includes(mediate.baseUrlEnv)) problems.push({path: ['mediate', 'baseUrlEnv'], message: `"${mediate.baseUrlEnv}" is also a key name in env`})
  const injectable = injectionProblem(mediate.baseUrlEnv)
  if (injectable) problems.push({path: ['mediate', 'baseUrlEnv'], message: injectable})
  const aliases = mediate.baseUrlAliases ?? []
  for (const [index, name] of aliases.entries()) {
    const problem = injectionProblem(name)
    if (problem) problems.push({path: ['mediate', 'baseUrlAliases', index], message: problem})
    if (provider.env.includes(name)) problems.push({path: ['mediate', 'baseUrlAliases', index], message: `"${name}" is also a key name in env`})
    if (name === mediate.baseUrlEnv || aliases.indexOf(name) !== index) problems.push({path: ['mediate', 'baseUrlAliases', index], message: `"${name}" is listed twice`})
  }
  if (provider.credentialFile) problems.push({path: ['mediate'], message: 'a credentials-file provider cannot be mediated'})
  return problems
}

function zodIssueMessage(issue: {code: string; message: string; keys?: string[]}): string {
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return 'is required'
  return issue.message
}

/**
 * Validate a list of untrusted provider definitions. `label` starts every message ("provider
 * file"); `prefixIndex` is false for a file that holds a single provider object; `admission` adds
 * the admissionProblems() rules (a new definition, not the stored catalog).
 */
export function validateProviders(values: unknown[], label: string, prefixIndex = true, options: {admission?: boolean} = {}): Provider[] {
  const messages: string[] = []
  const providers: Provider[] = []
  const seen = new Map<string, number>()
  values.forEach((value, index) => {
    const prefix = prefixIndex ? `[${index}]` : ''
    const result = providerSchema.safeParse(value)
    if (!result.success) {
      for (const issue of result.error.issues) {
        if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys) messages.push(`${joinPath(prefix, [...issue.path, key])}: unknown field`)
        } else {
          messages.push(`${joinPath(prefix, issue.path)}: ${zodIssueMessage(issue)}`)
        }
      }
      return
    }
    const provider = result.data
    const problems = options.admission ? [...providerProblems(provider), ...admissionProblems(provider)] : providerProblems(provider)
    for (const problem of problems) messages.push(`${joinPath(prefix, problem.path)}: ${problem.message}`)
    const first = seen.get(provider.id)
    if (first === undefined) seen.set(provider.id, index)
    else messages.push(`${joinPath(prefix, ['id'])}: duplicate provider id "${provider.id}" (also [${first}])`)
    providers.push(provider)
  })
  if (messages.length > 0) {
    const shown = messages.slice(0, 10)
    const more = messages.length > shown.length ? `; and ${messages.length - shown.length} more` : ''
    throw new VaultError('INVALID_INPUT', `${label}: ${shown.join('; ')}${more}`, {
      details: {problems: messages},
      suggestions: ['fix the fields named above; see `codex-vault provider list --json` for valid examples'],
    })
  }
  return providers
}
