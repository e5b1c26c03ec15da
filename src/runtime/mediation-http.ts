/**
 * The HTTP plumbing of run --mediate (mediator.ts): which headers cross, the placeholder swap on
 * the way out, the scrub on the way back, and error answers written to a response or, for a
 * WebSocket handshake, straight to the socket.
 */
import {type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerResponse, STATUS_CODES} from 'node:http'
import type {Duplex} from 'node:stream'

import type {MediatedKey} from './mediator.js'
import type {Redactor} from './redactor.js'

/**
 * Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus what we set
 * ourselves; `expect: 100-continue` was already answered by this server.
 */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect'])

/** What the child's SDK gets instead of an upstream answer: the shape of a provider's JSON error. */
function errorBody(message: string): string {
  return JSON.stringify({error: {type: 'codex_vault_mediation', message: `codex-vault: ${message}`}})
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const body = errorBody(message)
  res.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(body)})
  res.end(body)
}

/** An HTTP/1.1 response head written straight to a socket (upgrades have no ServerResponse). */
export function rawHead(status: number, message: string, headers: OutgoingHttpHeaders): string {
  const lines = [`HTTP/1.1 ${status} ${message}`]
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${item}`)
  }
  return `${lines.join('\r\n')}\r\n\r\n`
}

export function rawError(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return
  const body = errorBody(message)
  socket.end(`${rawHead(status, STATUS_CODES[status] ?? 'Error', {'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close'})}${body}`)
}

/** Every placeholder of the route in `text` replaced by its key; `used` collects the keys swapped in. */
export function swapIn(text: string, keys: MediatedKey[], used: Set<MediatedKey>): string {
  let out = text
  for (const key of keys) {
    if (!out.includes(key.placeholder)) continue
    out = out.split(key.placeholder).join(key.value)
    used.add(key)
  }
  return out
}

/**
 * The headers for the upstream: hop-by-hop ones dropped, host set, placeholders swapped in place,
 * and an uncompressed answer asked for (an encoded body could not be scrubbed on its way back).
 */
export function upstreamHeaders(incoming: IncomingHttpHeaders, keys: MediatedKey[], host: string, used: Set<MediatedKey>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || NOT_FORWARDED.has(name)) continue
    out[name] = Array.isArray(value) ? value.map((item) => swapIn(item, keys, used)) : swapIn(value, keys, used)
  }
  out.host = host
  out['accept-encoding'] = 'identity'
  if (incoming['content-length'] !== undefined) out['content-length'] = incoming['content-length']
  return out
}

/**
 * The answer's headers, hop-by-hop ones dropped, every form of every key masked as in the body.
 * `redactor` is the route's, reused: each value is pushed and flushed whole, so none is held over.
 */
export function scrubHeaders(headers: IncomingHttpHeaders, redactor: Redactor): OutgoingHttpHeaders {
  const scrub = (text: string) => scrubText(text, redactor)
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_FORWARDED.has(name)) continue
    out[name] = Array.isArray(value) ? value.map(scrub) : scrub(value)
  }
  return out
}

/** One short text with every form of every key masked; the route's redactor is left holding nothing. */
export function scrubText(text: string, redactor: Redactor): string {
  return Buffer.concat([redactor.push(Buffer.from(text)), redactor.flush()]).toString()
}
