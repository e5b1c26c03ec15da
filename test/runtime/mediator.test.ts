import {type IncomingMessage, type Server, createServer, request as httpRequest} from 'node:http'
import type {AddressInfo} from 'node:net'

import {expect} from 'chai'

import {VaultError} from '../../src/cli/errors.js'
import type {RunDecision} from '../../src/runtime/authorize.js'
import {refusalNow} from '../../src/runtime/mediation-check.js'
import {planMediation} from '../../src/runtime/mediation-plan.js'
import {type MediationRoute, type Mediator, newPlaceholder, startMediator} from '../../src/runtime/mediator.js'
import {encodeFrame} from '../../src/runtime/ws-scrub.js'
import {loadCatalog} from '../../src/secrets/providers/catalog.js'
import {validateProviders} from '../../src/secrets/providers/validate.js'
import {canary} from './helpers.js'

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

/** A fake provider API on loopback: records what arrived and answers with `reply(seen)`. */
async function fakeUpstream(reply: (seen: Seen) => {status?: number; body: string; headers?: Record<string, string>}): Promise<{url: string; seen: Seen[]; server: Server}> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      const entry = {method: req.method!, url: req.url!, headers: req.headers, body}
      seen.push(entry)
      const answer = reply(entry)
      res.writeHead(answer.status ?? 200, {'content-type': 'application/json', ...answer.headers})
      res.end(answer.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server}
}

describe('runtime/mediator', () => {
  const key = canary()
  const placeholder = newPlaceholder()
  let upstream: Awaited<ReturnType<typeof fakeUpstream>>
  let mediator: Mediator | undefined

  const route = (overrides: Partial<MediationRoute> = {}): MediationRoute => ({
    provider: 'openai', mediate: {baseUrlEnv: 'OPENAI_BASE_URL', upstream: `${upstream.url}/v1`}, proxy: null,
    keys: [{env: 'OPENAI_API_KEY', value: key, placeholder}], stillAllowed: async () => null, ...overrides,
  })

  beforeEach(async () => {
    // echoes the key it got, as a careless error page might
    upstream = await fakeUpstream((seen) => ({body: JSON.stringify({got: seen.headers.authorization ?? seen.url, ok: seen.headers.authorization === `Bearer ${key}`})}))
  })
  afterEach(async () => {
    await mediator?.close()
    mediator = undefined
    upstream.server.close()
  })

  it('swaps the placeholder for the key, keeps path, query and body, and scrubs the key from the answer', async () => {
    mediator = await startMediator([route()])
    const response = await fetch(`${mediator.baseUrl('openai')}/chat/completions?stream=false`, {
      method: 'POST', headers: {authorization: `Bearer ${placeholder}`, 'content-type': 'application/json', 'accept-encoding': 'gzip'}, body: '{"model":"x"}',
    })
    const text = await response.text()
    expect(response.status).to.equal(200)
    expect(JSON.parse(text)).to.deep.equal({got: 'Bearer [REDACTED:OPENAI_API_KEY]', ok: true})
    expect(text).not.to.include(key)
    const [seen] = upstream.seen
    expect(seen).to.include({method: 'POST', url: '/v1/chat/completions?stream=false', body: '{"model":"x"}'})
    expect(seen.headers.host).to.equal(new URL(upstream.url).host)
    expect(seen.headers['accept-encoding']).to.equal('identity')
    expect(JSON.stringify(seen.headers)).not.to.include(placeholder)
    expect(mediator.stats()).to.deep.equal({openai: {forwarded: 1, refused: 0, denied: 0, failed: 0}})
    // what the run did with the key, for its exit record: no query, no body
    expect(mediator.calls()).to.deep.equal(['openai POST /v1/chat/completions: 1× 200'])
  })

  it('keeps a key that a child put in a path out of the call list', async () => {
    mediator = await startMediator([route()])
    await fetch(`${mediator.baseUrl('openai')}/files/${encodeURIComponent(key)}`, {headers: {authorization: `Bearer ${placeholder}`}})
    expect(mediator.calls()).to.have.length(1)
    expect(mediator.calls()[0]).to.include('[REDACTED:OPENAI_API_KEY]').and.not.include(key).and.not.include(encodeURIComponent(key))
  })

  it('refuses a request without the placeholder, or with a wrong one, and never contacts the upstream', async () => {
    mediator = await startMediator([route()])
    for (const headers of [{}, {authorization: `Bearer ${newPlaceholder()}`}, {authorization: `Bearer ${placeholder.slice(0, -1)}`}, {authorization: `Bearer ${key}`}] as Record<string, string>[]) {
      const response = await fetch(`${mediator.baseUrl('openai')}/models`, {headers})
      expect(response.status).to.equal(401)
      const body = await response.json() as {error: {message: string}}
      expect(body.error.message).to.match(/^codex-vault: .*placeholder/)
    }
    expect(upstream.seen).to.have.length(0)
    expect(mediator.stats().openai).to.deep.equal({forwarded: 0, refused: 4, denied: 0, failed: 0})
    // a placeholder in the query is not enough where the provider takes no key there
    expect((await fetch(`${mediator.baseUrl('openai')}/models?key=${placeholder}`)).status).to.equal(401)
  })

  it('asks stillAllowed before each request and refuses with its reason once the vault says no', async () => {
    let verdict: string | null = null
    mediator = await startMediator([route({stillAllowed: async () => verdict})])
    const call = () => fetch(`${mediator!.baseUrl('openai')}/models`, {headers: {authorization: `Bearer ${placeholder}`}})
    expect((await call()).status).to.equal(200)
    verdict = 'grant g_1 was revoked'
    const refused = await call()
    expect(refused.status).to.equal(403)
    expect(await refused.text()).to.include('openai is no longer allowed for this run: grant g_1 was revoked')
    expect(upstream.seen).to.have.length(1)
    expect(mediator.stats().openai).to.deep.equal({forwarded: 1, refused: 0, denied: 1, failed: 0})
  })

  it('sends a key rotated during the check (stillAllowed) from that request on, and scrubs the old and the new value from answers', async () => {
    const rotated = canary()
    upstream.server.close()
    // echoes the key it got and an old one it remembers, in the body and in a header
    upstream = await fakeUpstream((seen) => ({body: JSON.stringify({got: seen.headers.authorization, old: key}), headers: {'x-old-key': key}}))
    const keys = [{env: 'OPENAI_API_KEY', value: key, placeholder}]
    let rotateNow = false
    mediator = await startMediator([route({keys, stillAllowed: async () => {
      // what KeyFollower does when the vault holds a new version of the key
      if (rotateNow && keys[0].value === key) Object.assign(keys[0], {value: rotated, previous: [key]})
      return null
    }})])
    const call = async () => {
      const response = await fetch(`${mediator!.baseUrl('openai')}/models`, {headers: {authorization: `Bearer ${placeholder}`}})
      return {headers: response.headers, text: await response.text()}
    }
    expect((await call()).text).to.include('[REDACTED:OPENAI_API_KEY]')
    rotateNow = true
    const after = await call()
    expect(upstream.seen.map((seen) => seen.headers.authorization)).to.deep.equal([`Bearer ${key}`, `Bearer ${rotated}`])
    expect(JSON.parse(after.text)).to.deep.equal({got: 'Bearer [REDACTED:OPENAI_API_KEY]', old: '[REDACTED:OPENAI_API_KEY]'})
    // the old value is still scrubbed from the headers the provider sends back
    expect(after.headers.get('x-old-key')).to.equal('[REDACTED:OPENAI_API_KEY]')
  })

  it('reports the first 401 and the first 403 of the run (for the audit log) before answering, and only counts the rest', async () => {
    let verdict: string | null = null
    const reports: {status: number; reason: string; answered: boolean}[] = []
    let answered = false
    mediator = await startMediator([route({
      stillAllowed: async () => verdict,
      onFirstRefusal: async (status, reason) => {
        // a slow audit write: the answer must wait for it
        await new Promise((resolve) => setTimeout(resolve, 30))
        reports.push({status, reason, answered})
      },
    })])
    const call = async (headers: Record<string, string>) => {
      const response = await fetch(`${mediator!.baseUrl('openai')}/models`, {headers})
      answered = true
      await response.arrayBuffer()
      answered = false
      return response.status
    }
    expect([await call({}), await call({}), await call({authorization: 'Bearer nope'})]).to.deep.equal([401, 401, 401])
    verdict = 'grant g_1 was revoked'
    expect([await call({authorization: `Bearer ${placeholder}`}), await call({authorization: `Bearer ${placeholder}`})]).to.deep.equal([403, 403])
    expect(reports.map(({status, answered}) => ({status, answered}))).to.deep.equal([{status: 401, answered: false}, {status: 403, answered: false}])
    expect(reports[1].reason).to.equal('openai is no longer allowed for this run: grant g_1 was revoked')
    expect(mediator.stats().openai).to.include({refused: 3, denied: 2})
  })

  it('still refuses when reporting the refusal fails', async () => {
    mediator = await startMediator([route({stillAllowed: async () => 'asset shop was disabled', onFirstRefusal: async () => {
      throw new Error('audit write failed')
    }})])
    const response = await fetch(`${mediator.baseUrl('openai')}/models`, {headers: {authorization: `Bearer ${placeholder}`}})
    expect(response.status).to.equal(403)
    expect(upstream.seen).to.have.length(0)
  })

  it('answers 404 for a provider it does not mediate and 502 when the upstream is down', async () => {
    const closed = await fakeUpstream(() => ({body: ''}))
    closed.server.close()
    mediator = await startMediator([route({mediate: {baseUrlEnv: 'OPENAI_BASE_URL', upstream: closed.url}})])
    const base = mediator.baseUrl('openai')
    expect((await fetch(base.replace(/openai$/, 'anthropic/v1/messages'))).status).to.equal(404)
    const down = await fetch(`${base}/models`, {headers: {authorization: `Bearer ${placeholder}`}})
    expect(down.status).to.equal(502)
    expect(await down.text()).to.include('could not reach')
    expect(mediator.stats().openai.failed).to.equal(1)
  })

  it('takes the placeholder from a query parameter where the provider allows one (Gemini ?key=)', async () => {
    mediator = await startMediator([route({provider: 'google-gemini', mediate: {baseUrlEnv: 'GOOGLE_GEMINI_BASE_URL', upstream: upstream.url, query: 'key'}})])
    const response = await fetch(`${mediator.baseUrl('google-gemini')}/v1beta/models?key=${placeholder}&alt=json`)
    expect(response.status).to.equal(200)
    expect(upstream.seen[0].url).to.equal(`/v1beta/models?key=${encodeURIComponent(key)}&alt=json`)
    expect(upstream.seen[0].headers['x-goog-api-key']).to.equal(undefined)
    expect(await response.text()).not.to.include(key)
  })

  it('swaps the placeholder in whichever header the SDK put it (x-api-key, Bearer) and leaves other headers alone', async () => {
    mediator = await startMediator([route({provider: 'anthropic', mediate: {baseUrlEnv: 'ANTHROPIC_BASE_URL', upstream: upstream.url}})])
    await fetch(`${mediator.baseUrl('anthropic')}/v1/messages`, {method: 'POST', body: '{}', headers: {'x-api-key': placeholder, 'anthropic-version': '2023-06-01'}})
    await fetch(`${mediator.baseUrl('anthropic')}/v1/messages`, {method: 'POST', body: '{}', headers: {authorization: `Bearer ${placeholder}`}})
    expect(upstream.seen.map((seen) => [seen.url, seen.headers['x-api-key'], seen.headers.authorization, seen.headers['anthropic-version']])).to.deep.equal([
      ['/v1/messages', key, undefined, '2023-06-01'],
      ['/v1/messages', undefined, `Bearer ${key}`, undefined],
    ])
    expect(mediator.stats().anthropic.forwarded).to.equal(2)
  })

  it('mediates a WebSocket upgrade: the handshake gets the key, frames flow both ways, the provider\'s scrubbed; without the placeholder: 401', async () => {
    const handshakes: {auth?: string; extensions?: string}[] = []
    upstream.server.on('upgrade', (req, socket) => {
      handshakes.push({auth: req.headers.authorization, extensions: req.headers['sec-websocket-extensions']})
      socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: test\r\n\r\n')
      // a careless provider that repeats the credential it got, in a text message
      socket.on('data', (data: Buffer) => socket.write(encodeFrame(true, 1, Buffer.from(`echo:${data.length} bytes, key ${req.headers.authorization}`))))
    })
    mediator = await startMediator([route()])
    const open = (authorization: string) => new Promise<{status: number; socket?: import('node:net').Socket; body?: string}>((resolve) => {
      const request = httpRequest(`${mediator!.baseUrl('openai')}/realtime?model=m`, {headers: {connection: 'Upgrade', upgrade: 'websocket', authorization, 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits'}})
      request.on('upgrade', (answer, socket) => resolve({status: answer.statusCode!, socket}))
      request.on('response', (answer) => {
        let body = ''
        answer.on('data', (chunk) => (body += chunk))
        answer.on('end', () => resolve({status: answer.statusCode!, body}))
      })
      request.end()
    })
    const opened = await open(`Bearer ${placeholder}`)
    expect(opened.status).to.equal(101)
    expect(handshakes).to.deep.equal([{auth: `Bearer ${key}`, extensions: undefined}])
    const echoed = await new Promise<Buffer>((resolve) => {
      opened.socket!.once('data', resolve)
      opened.socket!.write(encodeFrame(true, 1, Buffer.from('hello')))
    })
    expect(echoed.includes(key)).to.equal(false)
    expect(echoed.subarray(2).toString()).to.equal('echo:7 bytes, key Bearer [REDACTED:OPENAI_API_KEY]')
    expect(echoed[0]).to.equal(0x81)
    opened.socket!.destroy()
    const refused = await open(`Bearer ${newPlaceholder()}`)
    expect(refused.status).to.equal(401)
    expect(refused.body).to.include('placeholder')
    expect(handshakes).to.have.length(1)
    expect(mediator.stats().openai).to.include({forwarded: 1, refused: 1})
    expect(mediator.calls()).to.deep.equal(['openai GET (websocket) /v1/realtime: 1× 101'])
  })

  it('refuses (502) a WebSocket whose provider negotiates an extension it was not offered: compressed messages cannot be scrubbed', async () => {
    upstream.server.on('upgrade', (_req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: test\r\nsec-websocket-extensions: permessage-deflate\r\n\r\n')
    })
    mediator = await startMediator([route()])
    const status = await new Promise<number>((resolve) => {
      const request = httpRequest(`${mediator!.baseUrl('openai')}/realtime`, {headers: {connection: 'Upgrade', upgrade: 'websocket', authorization: `Bearer ${placeholder}`, 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ=='}})
      request.on('upgrade', (answer, socket) => {
        socket.destroy()
        resolve(answer.statusCode!)
      })
      request.on('response', (answer) => {
        answer.resume()
        resolve(answer.statusCode!)
      })
      request.end()
    })
    expect(status).to.equal(502)
    expect(mediator.stats().openai).to.include({forwarded: 0, failed: 1})
  })

  it('scrubs the key from response headers too', async () => {
    upstream.server.close()
    upstream = await fakeUpstream(() => ({body: '{}', headers: {'x-debug': `key=${key}`, 'x-basic': `Basic ${Buffer.from(`user:${key}`).toString('base64')}`}}))
    mediator = await startMediator([route()])
    const response = await fetch(`${mediator.baseUrl('openai')}/models`, {headers: {authorization: `Bearer ${placeholder}`}})
    expect(response.headers.get('x-debug')).to.equal('key=[REDACTED:OPENAI_API_KEY]')
    // the same forms as the body: here the key inside a base64 blob
    expect(response.headers.get('x-basic')).to.include('[REDACTED:OPENAI_API_KEY]')
  })

  describe('through the proxy the plan names (HTTPS_PROXY)', () => {
    const proxyPassword = canary()
    let proxy: Server | undefined
    const connects: {target: string; headers: IncomingMessage['headers']}[] = []
    const proxied = (port: number) => route({
      mediate: {baseUrlEnv: 'OPENAI_BASE_URL', upstream: 'https://api.example.test/v1'},
      proxy: new URL(`http://corp-user:${encodeURIComponent(proxyPassword)}@127.0.0.1:${port}`),
    })

    beforeEach(() => {
      connects.length = 0
    })
    afterEach(() => {
      proxy?.close()
      proxy = undefined
    })

    it('opens a CONNECT tunnel to the upstream with the proxy\'s credentials, and turns the proxy\'s refusal into a 502 that names it', async () => {
      proxy = createServer()
      proxy.on('connect', (req: IncomingMessage, socket) => {
        connects.push({target: req.url!, headers: req.headers})
        socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n')
      })
      await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve))
      mediator = await startMediator([proxied((proxy.address() as AddressInfo).port)])
      const response = await fetch(`${mediator.baseUrl('openai')}/models`, {headers: {authorization: `Bearer ${placeholder}`}})
      const text = await response.text()
      // a 407 relayed as it is would be a bare network error to fetch-based SDKs
      expect(response.status).to.equal(502)
      expect(text).to.include('through the proxy http://127.0.0.1:').and.include('407 Proxy Authentication Required').and.include('HTTPS_PROXY')
      expect(text).not.to.include(proxyPassword)
      expect(mediator.stats().openai).to.include({forwarded: 0, failed: 1})
      expect(connects).to.have.length(1)
      expect(connects[0].target).to.equal('api.example.test:443')
      expect(connects[0].headers['proxy-authorization']).to.equal(`Basic ${Buffer.from(`corp-user:${proxyPassword}`).toString('base64')}`)
      expect(JSON.stringify(connects[0].headers), 'the key travels only inside the tunnel').not.to.include(key)
      expect(upstream.seen).to.have.length(0)
    })

    it('answers 502 naming the proxy by its origin, never its credentials, when the proxy is unreachable', async () => {
      const closed = createServer()
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
      const port = (closed.address() as AddressInfo).port
      await new Promise((resolve) => closed.close(resolve))
      mediator = await startMediator([proxied(port)])
      const response = await fetch(`${mediator.baseUrl('openai')}/models`, {headers: {authorization: `Bearer ${placeholder}`}})
      const text = await response.text()
      expect(response.status).to.equal(502)
      expect(text).to.include(`https://api.example.test through the proxy http://127.0.0.1:${port}`).and.include('ECONNREFUSED')
      expect(text).not.to.include(proxyPassword).and.not.include(encodeURIComponent(proxyPassword))
      expect(mediator.stats().openai).to.include({failed: 1})
    })
  })
})

describe('runtime/mediation-plan', () => {
  const decision = (providers: string[]): RunDecision => ({
    asset: 'shop', requested: providers.map((p) => `ai.${p}.inference`), denials: [],
    allowed: providers.map((provider, index) => ({
      capability: `ai.${provider}.inference`, provider, grant: {id: `g${index}`, expires: `2030-01-0${index + 1}T00:00:00.000Z`, usesLeft: null},
      inject: [{env: `${provider.toUpperCase().replace(/-/g, '_')}_API_KEY`, secretId: `s${index}`, fingerprint: 'fp:x', credentialFile: false}],
    })),
  })

  it('plans the built-in mediatable providers with their base URL variables', () => {
    const plan = planMediation(decision(['openai', 'anthropic', 'groq']), loadCatalog([]))
    expect(plan.map((item) => [item.provider, item.mediate.baseUrlEnv])).to.deep.equal([['openai', 'OPENAI_BASE_URL'], ['anthropic', 'ANTHROPIC_BASE_URL'], ['groq', 'GROQ_BASE_URL']])
  })

  it('decides each upstream\'s proxy from this process\'s environment, once, and refuses one it cannot use', () => {
    const saved = {HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY}
    try {
      process.env.HTTPS_PROXY = 'http://proxy.corp:3128'
      process.env.NO_PROXY = 'anthropic.com'
      const plan = planMediation(decision(['openai', 'anthropic']), loadCatalog([]))
      expect(plan.map((item) => [item.provider, item.proxy?.href ?? null])).to.deep.equal([['openai', 'http://proxy.corp:3128/'], ['anthropic', null]])
      process.env.HTTPS_PROXY = 'socks5://proxy.corp:1080'
      expect(() => planMediation(decision(['openai']), loadCatalog([]))).to.throw(VaultError, /socks5/)
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    }
  })

  it('refuses a run that includes a provider it cannot mediate, suggesting the capabilities it can', () => {
    let error: unknown
    try {
      planMediation(decision(['openai', 'stripe']), loadCatalog([]))
    } catch (caught) {
      error = caught
    }
    expect(error).to.be.instanceOf(VaultError)
    expect((error as VaultError).code).to.equal('INVALID_INPUT')
    expect((error as VaultError).message).to.include('stripe cannot be mediated')
    expect((error as VaultError).suggestions.join(' ')).to.include('--capability ai.openai.inference')
  })

  it('validates a user provider\'s mediation: https only, or http to loopback; no key names; no credentials in the URL', () => {
    const base = {id: 'acme', name: 'Acme', capabilities: ['ai.acme.inference'], env: ['ACME_API_KEY']}
    const ok = (upstream: string) => validateProviders([{...base, mediate: {baseUrlEnv: 'ACME_BASE_URL', upstream}}], 'provider file')
    expect(ok('https://api.acme.example/v1')[0].mediate?.upstream).to.equal('https://api.acme.example/v1')
    expect(ok('http://127.0.0.1:8080')).to.have.length(1)
    for (const bad of ['http://api.acme.example/v1', 'https://user:pw@api.acme.example', 'https://api.acme.example/?k=1']) {
      expect(() => ok(bad), bad).to.throw(VaultError, /mediate\.upstream/)
    }
    expect(() => validateProviders([{...base, mediate: {baseUrlEnv: 'ACME_API_KEY', upstream: 'https://a.example'}}], 'provider file')).to.throw(/also a key name/)
    expect(() => validateProviders([{...base, mediate: {baseUrlEnv: 'ACME_BASE_URL', baseUrlAliases: ['ACME_API_KEY'], upstream: 'https://a.example'}}], 'provider file')).to.throw(/baseUrlAliases\[0\]: "ACME_API_KEY" is also a key name/)
    expect(() => validateProviders([{...base, mediate: {baseUrlEnv: 'ACME_BASE_URL', baseUrlAliases: ['ACME_BASE_URL'], upstream: 'https://a.example'}}], 'provider file')).to.throw(/listed twice/)
    // names run would refuse to set are refused when the provider is added, not at its first run
    expect(() => validateProviders([{...base, mediate: {baseUrlEnv: 'NODE_OPTIONS', upstream: 'https://a.example'}}], 'provider file')).to.throw(/mediate\.baseUrlEnv: refusing to inject NODE_OPTIONS/)
    expect(() => validateProviders([{...base, mediate: {baseUrlEnv: 'ACME_BASE_URL', upstream: 'https://a.example', header: 'authorization'}}], 'provider file')).to.throw(/unknown field/)
  })
})

describe('runtime/mediation-check', () => {
  const now = new Date('2030-01-01T12:00:00.000Z')
  const body = () => ({
    lastSeen: '2030-01-01T11:00:00.000Z',
    assets: [{name: 'shop', enabled: true}],
    killedProviders: [] as {provider: string}[],
    grants: [{id: 'g_1', capability: 'ai.openai.inference', expires: '2030-01-01T13:00:00.000Z', revoked: null as string | null, revokedReason: undefined as string | undefined}],
  })
  const query = {asset: 'shop', provider: 'openai', grants: ['g_1']}
  const check = (b: ReturnType<typeof body>, at = now) => refusalNow(b as unknown as Parameters<typeof refusalNow>[0], query, at)

  it('allows while the run\'s grants hold, whatever their uses left (the run\'s use was counted at its start)', () => {
    expect(check(body())).to.equal(null)
  })

  it('names what changed and how to allow it again', () => {
    const revoked = body()
    revoked.grants[0].revoked = now.toISOString()
    revoked.grants[0].revokedReason = 'leaked'
    expect(check(revoked)).to.equal('grant g_1 was revoked (leaked); approve again: codex-vault grant approve --asset shop --capability ai.openai.inference')
    const disabled = body()
    disabled.assets[0].enabled = false
    expect(check(disabled)).to.include('asset shop was disabled').and.include('codex-vault asset enable shop')
    const killed = body()
    killed.killedProviders.push({provider: 'openai'})
    expect(check(killed)).to.equal('provider openai was stopped with the kill switch')
    expect(check(body(), new Date('2030-01-01T13:00:00.000Z'))).to.match(/^grant g_1 expired at/)
    const gone = body()
    gone.grants = []
    expect(check(gone)).to.equal('grant g_1 no longer exists')
  })

  it('throws CLOCK_SKEW when the clock ran backwards past the vault\'s last use', () => {
    expect(() => check(body(), new Date('2030-01-01T10:00:00.000Z'))).to.throw(VaultError, /clock/)
  })
})
