/**
 * `run --mediate`: a loopback HTTP proxy that holds the keys so that the child never does. The
 * child gets, per provider, a base URL on this proxy and a random placeholder in place of each
 * key. A request must carry one of its provider's placeholders or it is refused: any local
 * process can reach a loopback port, only the child knows the placeholders. The placeholder is
 * swapped for the real key wherever the SDK put it (x-api-key, `Authorization: Bearer`, the
 * provider's query parameter), and the request forwarded to the catalog's upstream
 * (https, or http on loopback); the response comes back with every real key scrubbed. Before each
 * request `stillAllowed` re-checks the vault (mediation-check.ts): a grant revoked or expired, an
 * asset disabled or a provider killed during the run stops the next request, which plain
 * injection cannot do.
 */
import {type Agent, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse, createServer, request as httpRequest} from 'node:http'
import {request as httpsRequest} from 'node:https'
import type {AddressInfo} from 'node:net'
import type {Duplex} from 'node:stream'
import type {TLSSocket} from 'node:tls'

import {HttpsProxyAgent} from 'https-proxy-agent'

import {sodium} from '../secrets/sodium.js'
import type {Mediation} from '../secrets/providers/schema.js'
import {CallTally} from './mediation-calls.js'
import {rawError, rawHead, scrubHeaders, scrubText, sendError, swapIn, upstreamHeaders} from './mediation-http.js'
import {shownProxy} from './proxy-env.js'
import {type MaskSecret, Redactor, createRedactStream} from './redactor.js'
import {createWebSocketScrubber} from './ws-scrub.js'

export interface MediatedKey {
  /** the env name the key would have had (names it in [REDACTED:ENV] and in the stats) */
  env: string
  value: string
  /** what the child gets instead: random, per run */
  placeholder: string
  /** values this run used before the owner rotated the key (mediation-keys.ts): still scrubbed from answers */
  previous?: string[]
}

/** What answers are scrubbed of: every key of the route, and every value it had during the run. */
function scrubbed(route: MediationRoute): MaskSecret[] {
  return route.keys.flatMap((key) => [key, ...(key.previous ?? []).map((value) => ({env: key.env, value}))])
}

export interface MediationRoute {
  provider: string
  mediate: Mediation
  /** the proxy to reach the upstream through (from the plan: proxy-env.ts), or null for a direct connection */
  proxy: URL | null
  keys: MediatedKey[]
  /** null while the run's grants still hold (expiry included), else why not: asked before each request */
  stillAllowed: () => Promise<string | null>
  /**
   * Told of the run's first request refused for want of a placeholder (401) and the first denied
   * because the grant no longer holds (403), before the answer goes out: a decision the audit log
   * should hold. Later ones are only counted, so a process hammering the port cannot flood the log.
   */
  onFirstRefusal?: (status: 401 | 403, reason: string) => Promise<void>
}

export interface RouteStats {
  forwarded: number
  /** no placeholder: not the child */
  refused: number
  /** the child, but its grant no longer holds (expired, revoked, asset disabled, provider killed) */
  denied: number
  failed: number
}

export interface Mediator {
  /** the base URL the child gets for this provider */
  baseUrl(provider: string): string
  stats(): Record<string, RouteStats>
  /** the calls forwarded, by provider, method, path and status (mediation-calls.ts) */
  calls(): string[]
  close(): Promise<void>
}

/** `cvm_` + 32 random bytes, base64url: unguessable, and visibly not a real key in a log. */
export function newPlaceholder(): string {
  const bytes = Buffer.alloc(32)
  sodium.randombytes_buf(bytes)
  return `cvm_${bytes.toString('base64url')}`
}

/** A request that may go upstream, or the status and message that refuse it. */
type Admission =
  | {ok: true; route: MediationRoute; tally: RouteStats; target: URL; headers: OutgoingHttpHeaders; via: Via}
  | {ok: false; status: number; message: string}

/** How requests reach a route's upstream: directly, or through the proxy the environment sets (one keep-alive agent per proxy). */
interface Via {
  agent?: Agent
  /** ' through the proxy http://host:port', for messages; '' when direct */
  shown: string
}

/**
 * A keep-alive CONNECT agent for a proxy. Its credentials go in a Proxy-Authorization header, not
 * in the URL the agent keeps: https-proxy-agent logs that URL through `debug` when DEBUG names it,
 * and the proxy password must not reach a terminal or a CI log that way.
 */
function proxyAgent(proxy: URL): Agent {
  const user = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`
  const headers = proxy.username || proxy.password ? {'proxy-authorization': `Basic ${Buffer.from(user).toString('base64')}`} : undefined
  return new HttpsProxyAgent(new URL(proxy.origin), {keepAlive: true, ...(headers ? {headers} : {})})
}

function routesOut(routes: MediationRoute[]): Map<MediationRoute, Via> {
  const agents = new Map<string, Agent>()
  return new Map(routes.map((route) => {
    const {proxy} = route
    if (proxy === null) return [route, {shown: ''}]
    let agent = agents.get(proxy.href)
    if (!agent) agents.set(proxy.href, agent = proxyAgent(proxy))
    return [route, {agent, shown: ` through the proxy ${shownProxy(proxy)}`}]
  }))
}

/**
 * The proxy's own refusal of the tunnel (407, 403, 502...), or null. https-proxy-agent replays a
 * refused CONNECT's answer as if it were the response; on an https route only the provider's own
 * answer arrives over TLS. Relayed as it is, a 407 would make fetch-based SDKs report a bare
 * network error, so the child gets a 502 that says what the proxy said.
 */
function proxyRefusal(answer: IncomingMessage, via: Via): string | null {
  if (via.agent === undefined || (answer.socket as TLSSocket | null)?.encrypted) return null
  const refusal = `the proxy answered ${answer.statusCode ?? '?'} ${answer.statusMessage ?? ''}`.trim()
  return answer.statusCode === 407 ? `${refusal}; put the proxy's user and password in HTTPS_PROXY (http://user:password@host:port)` : refusal
}

export async function startMediator(routes: MediationRoute[]): Promise<Mediator> {
  const byProvider = new Map(routes.map((route) => [route.provider, route]))
  const ways = routesOut(routes)
  const calls = new CallTally()
  const stats: Record<string, RouteStats> = Object.fromEntries(routes.map((route) => [route.provider, {forwarded: 0, refused: 0, denied: 0, failed: 0}]))
  // built once per route and key set: a Redactor's forms and search table cost more than a response's headers
  const headerRedactors = new Map<MediationRoute, {values: string; redactor: Redactor}>()
  const headerRedactor = (route: MediationRoute) => {
    const secrets = scrubbed(route)
    const values = secrets.map((secret) => secret.value).join('\0')
    let cached = headerRedactors.get(route)
    if (cached?.values !== values) headerRedactors.set(route, cached = {values, redactor: new Redactor(secrets)})
    return cached.redactor
  }

  const reported = new Map<MediationRoute, Set<number>>(routes.map((route) => [route, new Set()]))
  const refuse = async (route: MediationRoute, status: 401 | 403, message: string): Promise<Admission> => {
    const seen = reported.get(route)!
    if (!seen.has(status)) {
      seen.add(status)
      await route.onFirstRefusal?.(status, message).catch(() => {})
    }
    return {ok: false, status, message}
  }

  /** Route, placeholder and vault checks shared by plain requests and WebSocket upgrades. */
  const admit = async (req: IncomingMessage): Promise<Admission> => {
    const url = new URL(req.url ?? '/', 'http://mediator.invalid')
    const [, providerId, ...rest] = url.pathname.split('/')
    const route = byProvider.get(providerId)
    if (!route) return {ok: false, status: 404, message: `no mediated provider at /${providerId}; this run mediates ${[...byProvider.keys()].join(', ')}`}
    const tally = stats[route.provider]
    const upstream = new URL(route.mediate.upstream)
    const target = new URL(upstream.href)
    target.pathname = `${upstream.pathname.replace(/\/+$/, '')}/${rest.join('/')}`
    // the keys as they are now: the vault check below may have taken in a rotated one
    const swapKeys = () => {
      const used = new Set<MediatedKey>()
      const query = new URLSearchParams(url.searchParams)
      const param = route.mediate.query
      const inQuery = param ? query.get(param) : null
      if (param && inQuery !== null) query.set(param, swapIn(inQuery, route.keys, used))
      target.search = query.toString()
      return {used, headers: upstreamHeaders(req.headers, route.keys, target.host, used)}
    }
    if (swapKeys().used.size === 0) {
      tally.refused++
      return refuse(route, 401, `the request to /${route.provider} did not carry this run's placeholder key; only the program started by \`codex-vault run --mediate\` may use this address`)
    }
    const refusal = await route.stillAllowed()
    if (refusal !== null) {
      tally.denied++
      return refuse(route, 403, `${route.provider} is no longer allowed for this run: ${refusal}`)
    }
    return {ok: true, route, tally, target, headers: swapKeys().headers, via: ways.get(route)!}
  }

  type Admitted = Extract<Admission, {ok: true}>
  /** The 502 text for a request that did not reach its provider, counted as failed. */
  const unreachable = ({route, tally, target, via}: Admitted, why: string): string => {
    tally.failed++
    return `could not reach ${target.origin}${via.shown} for ${route.provider}: ${why}`
  }
  /** The 502 text when the proxy refused the tunnel (the answer is drained), else null. */
  const refusedByProxy = (answer: IncomingMessage, admitted: Admitted): string | null => {
    const why = proxyRefusal(answer, admitted.via)
    if (why === null) return null
    answer.resume()
    return unreachable(admitted, why)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    req.on('error', () => res.destroy())
    const admission = await admit(req)
    if (!admission.ok) {
      req.resume()
      return sendError(res, admission.status, admission.message)
    }
    const {route, tally, target, headers, via} = admission
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest
    const outgoing = send(target, {method: req.method, headers, agent: via.agent}, (answer) => {
      const refused = refusedByProxy(answer, admission)
      if (refused !== null) return sendError(res, 502, refused)
      tally.forwarded++
      calls.note(route.provider, req.method, scrubText(target.pathname, headerRedactor(route)), answer.statusCode ?? 0)
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, scrubHeaders(answer.headers, headerRedactor(route)))
      answer.on('error', () => res.destroy())
      answer.pipe(createRedactStream(scrubbed(route))).pipe(res)
    })
    outgoing.on('error', (error: NodeJS.ErrnoException) => sendError(res, 502, unreachable(admission, error.code ?? error.message)))
    res.on('close', () => {
      if (!res.writableFinished) outgoing.destroy()
    })
    req.pipe(outgoing)
  }

  /**
   * WebSocket APIs (OpenAI Realtime, Gemini Live): the handshake gets the same checks and the same
   * key swap, then the two sockets are joined, the provider's messages through a scrubber
   * (ws-scrub.ts). The handshake offers no extension, since a compressed message cannot be scrubbed;
   * a provider that negotiates one anyway is refused (502), not forwarded unscrubbed.
   */
  // an upgraded connection leaves the server's books: close() must end these itself
  const upgraded = new Set<Duplex>()
  const track = (socket: Duplex) => {
    upgraded.add(socket)
    socket.once('close', () => upgraded.delete(socket))
  }
  const handleUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    track(socket)
    socket.on('error', () => socket.destroy())
    const admission = await admit(req)
    if (!admission.ok) return rawError(socket, admission.status, admission.message)
    const {route, tally, target, headers, via} = admission
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest
    const offer: OutgoingHttpHeaders = {...headers, connection: 'Upgrade', upgrade: req.headers.upgrade}
    delete offer['sec-websocket-extensions']
    const outgoing = send(target, {method: req.method, headers: offer, agent: via.agent})
    outgoing.on('upgrade', (answer, upstream, upstreamHead) => {
      track(upstream)
      if (answer.headers['sec-websocket-extensions']) {
        upstream.destroy()
        tally.failed++
        return rawError(socket, 502, `${route.provider} negotiated a WebSocket extension that was not offered (compression?); its messages could not be scrubbed, so the connection is refused`)
      }
      tally.forwarded++
      calls.note(route.provider, `${req.method} (websocket)`, scrubText(target.pathname, headerRedactor(route)), 101)
      socket.write(rawHead(101, answer.statusMessage ?? 'Switching Protocols', {...scrubHeaders(answer.headers, headerRedactor(route)), connection: 'Upgrade', upgrade: answer.headers.upgrade}))
      const scrubber = createWebSocketScrubber(scrubbed(route))
      // a frame it cannot scrub ends the connection: nothing unscrubbed gets through
      scrubber.on('error', () => {
        socket.destroy()
        upstream.destroy()
      })
      if (upstreamHead.length > 0) scrubber.write(upstreamHead)
      if (head.length > 0) upstream.write(head)
      upstream.on('error', () => socket.destroy())
      socket.on('close', () => upstream.destroy())
      upstream.on('close', () => socket.destroy())
      upstream.pipe(scrubber).pipe(socket)
      socket.pipe(upstream)
    })
    // the provider answered without switching (an error page): relay it, scrubbed, and close
    outgoing.on('response', (answer) => {
      const refused = refusedByProxy(answer, admission)
      if (refused !== null) return rawError(socket, 502, refused)
      tally.forwarded++
      calls.note(route.provider, `${req.method} (websocket)`, scrubText(target.pathname, headerRedactor(route)), answer.statusCode ?? 0)
      socket.write(rawHead(answer.statusCode ?? 502, answer.statusMessage ?? '', {...scrubHeaders(answer.headers, headerRedactor(route)), connection: 'close'}))
      answer.pipe(createRedactStream(scrubbed(route))).pipe(socket)
    })
    outgoing.on('error', (error: NodeJS.ErrnoException) => rawError(socket, 502, unreachable(admission, error.code ?? error.message)))
    outgoing.end()
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => sendError(res, 500, `mediation failed: ${error.message}`))
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    handleUpgrade(req, socket, head).catch((error: Error) => rawError(socket, 500, `mediation failed: ${error.message}`))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const {port} = server.address() as AddressInfo
  return {
    baseUrl: (provider) => `http://127.0.0.1:${port}/${provider}`,
    stats: () => structuredClone(stats),
    calls: () => calls.lines(),
    close: () => new Promise((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
      for (const socket of upgraded) socket.destroy()
      for (const via of ways.values()) via.agent?.destroy()
    }),
  }
}
