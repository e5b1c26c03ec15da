/**
 * Proxy variables and `run --mediate`. Two sides: the mediator's own requests to the provider go
 * through the proxy the user's environment sets (HTTPS_PROXY, ALL_PROXY, minus NO_PROXY, read as
 * curl reads them), since on a network that requires one a direct connection fails; and the child
 * must reach the mediator directly, since SDKs that honour HTTP_PROXY (Python's httpx and requests,
 * curl) would otherwise send the loopback base URL to a proxy that cannot reach it.
 */
import {VaultError} from '../cli/errors.js'

const PROXY_VARIABLES = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i
/** the address every mediated base URL uses (mediator.ts listens on it) */
const MEDIATOR_HOST = '127.0.0.1'

/** The lower-case name first, as curl, Python and Go read them. */
function variable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return env[name.toLowerCase()] || env[name.toUpperCase()] || undefined
}

/**
 * Whether NO_PROXY names this host: `*`, the host itself, or a domain it is in (`openai.com` and
 * `.openai.com` both cover api.openai.com, as in curl and Go), optionally for one port only.
 */
function bypassed(host: string, port: string, noProxy: string): boolean {
  return noProxy.toLowerCase().split(/[\s,]+/).filter(Boolean).some((entry) => {
    if (entry === '*') return true
    const withPort = /^(.*?)(?::(\d+))?$/.exec(entry)!
    if (withPort[2] !== undefined && withPort[2] !== port) return false
    const domain = withPort[1].replace(/^\*?\.?/, '')
    return domain !== '' && (host === domain || host.endsWith(`.${domain}`))
  })
}

/**
 * The proxy this process's environment sets for a provider's upstream (https_proxy, then
 * all_proxy, minus no_proxy), or null for a direct connection. Loopback upstreams (a user
 * provider's local gateway) are never proxied. Thrown as INVALID_INPUT when the setting is not an
 * http(s) proxy URL; the message never shows the setting, which may carry credentials.
 */
export function upstreamProxy(upstream: URL, env: NodeJS.ProcessEnv = process.env): URL | null {
  if (upstream.protocol !== 'https:' || LOOPBACK_HOST.test(upstream.hostname)) return null
  const configured = variable(env, 'https_proxy') ?? variable(env, 'all_proxy')
  if (!configured) return null
  if (bypassed(upstream.hostname.toLowerCase(), upstream.port || '443', variable(env, 'no_proxy') ?? '')) return null
  let proxy: URL | null = null
  try {
    // curl's reading of a bare host:port
    proxy = new URL(configured.includes('://') ? configured : `http://${configured}`)
  } catch {}
  if (proxy === null || (proxy.protocol !== 'http:' && proxy.protocol !== 'https:')) {
    const what = proxy === null ? 'is not a valid URL (percent-encode special characters in its user and password)' : `uses ${proxy.protocol.replace(/:$/, '')}://, and mediation can only use an http:// or https:// proxy`
    throw new VaultError('INVALID_INPUT', `run --mediate: the proxy your environment sets for ${upstream.host} (HTTPS_PROXY or ALL_PROXY) ${what}`, {
      suggestions: [`set HTTPS_PROXY to an http:// or https:// proxy, or add ${upstream.hostname} to NO_PROXY`],
    })
  }
  return proxy
}

/** A proxy as messages may show it: scheme, host and port, never its credentials. */
export function shownProxy(proxy: URL): string {
  return proxy.origin
}

/** The child's environment with the mediator's address in NO_PROXY and no_proxy, when it has any proxy variable. */
export function exemptMediatorFromProxies(env: Record<string, string>): Record<string, string> {
  if (!PROXY_VARIABLES.some((name) => env[name])) return env
  for (const name of ['NO_PROXY', 'no_proxy']) {
    const current = env[name] ?? env[name === 'NO_PROXY' ? 'no_proxy' : 'NO_PROXY'] ?? ''
    const entries = current.split(/[\s,]+/).filter(Boolean)
    if (!entries.includes(MEDIATOR_HOST) && !entries.includes('*')) entries.push(MEDIATOR_HOST)
    env[name] = entries.join(',')
  }
  return env
}
