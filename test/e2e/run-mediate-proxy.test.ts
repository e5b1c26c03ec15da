/**
 * `run --mediate` on a network that needs a proxy, end to end on the built binary: the mediator
 * reaches an https provider through the CONNECT proxy HTTPS_PROXY names (TLS checked against a
 * test CA given with NODE_EXTRA_CA_CERTS), the child's proxy settings exempt the loopback base
 * URL, and a proxy setting mediation cannot use is refused before anything starts.
 */
import {type IncomingMessage, type Server, createServer} from 'node:http'
import {createServer as createTlsServer, type Server as HttpsServer} from 'node:https'
import {type AddressInfo, connect} from 'node:net'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {expect} from 'chai'

import {assertNoCanary, explain, hasStackTrace} from '../helpers/cli.js'
import {type RunFixture, markerChild, runFixture} from '../permissions/e2e-fixture.js'

const TLS = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tls')

/** The child: dumps its environment, then calls the API through its base URL as an SDK would. */
const CLIENT = `
require('fs').writeFileSync(process.argv[1], JSON.stringify(process.env))
fetch(process.env.OPENAI_BASE_URL + '/models', {headers: {authorization: 'Bearer ' + process.env.OPENAI_API_KEY}})
  .then(async (r) => { console.log('status', r.status, await r.text()); process.exit(r.status === 200 ? 0 : 1) })
`

const port = (server: Server | HttpsServer) => (server.address() as AddressInfo).port

describe('run --mediate through an HTTPS_PROXY end to end', function () {
  this.timeout(120_000)
  let fx: RunFixture
  let upstream: HttpsServer
  let proxy: Server
  const auths: (string | undefined)[] = []
  const tunnels: {target: string; auth: string | undefined}[] = []
  const proxyPassword = `pw-${Math.random().toString(36).slice(2)}`

  before(async () => {
    fx = await runFixture({grantShop: true})
    // the provider, reachable only through the proxy: its name does not resolve
    upstream = createTlsServer({key: readFileSync(join(TLS, 'upstream.key')), cert: readFileSync(join(TLS, 'upstream.crt'))}, (req, res) => {
      auths.push(req.headers.authorization)
      res.writeHead(200, {'content-type': 'application/json'})
      res.end(JSON.stringify({ok: req.headers.authorization === `Bearer ${fx.keys.openai}`}))
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    // a CONNECT proxy that sends every tunnel to that provider
    proxy = createServer((_req, res) => res.writeHead(405).end())
    proxy.on('connect', (req: IncomingMessage, client) => {
      tunnels.push({target: req.url!, auth: req.headers['proxy-authorization']})
      const server = connect(port(upstream), '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        server.pipe(client)
        client.pipe(server)
      })
      server.on('error', () => client.destroy())
      client.on('error', () => server.destroy())
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const providers = join(fx.home.dir, 'providers.json')
    writeFileSync(providers, JSON.stringify([
      {id: 'openai', name: 'OpenAI (test double behind a proxy)', capabilities: ['ai.openai.inference'], env: ['OPENAI_API_KEY'],
        mediate: {baseUrlEnv: 'OPENAI_BASE_URL', upstream: 'https://api.example.test/v1'}},
    ]))
    const added = await fx.cli(['provider', 'add', providers, '--replace-builtin'])
    expect(added.code, explain(added)).to.equal(0)
  })

  after(() => {
    upstream?.close()
    proxy?.close()
    fx?.cleanup()
  })

  const proxyEnv = () => ({
    HTTPS_PROXY: `http://corp:${proxyPassword}@127.0.0.1:${port(proxy)}`,
    HTTP_PROXY: `http://127.0.0.1:${port(proxy)}`,
    NO_PROXY: 'corp.internal',
    NODE_EXTRA_CA_CERTS: join(TLS, 'ca.crt'),
  })

  it('reaches the provider through the proxy with the real key, and keeps the child\'s requests to the mediator off the proxy', async () => {
    const dump = join(fx.markers, 'proxied-env.json')
    const result = await fx.cli(['run', '--asset', 'shop', '--mediate', '--', 'node', '-e', CLIENT, dump], {env: proxyEnv()})
    expect(result.code, explain(result)).to.equal(0)
    expect(hasStackTrace(result.stderr)).to.equal(false)
    expect(result.stdout).to.include('status 200').and.include('"ok":true')
    expect(tunnels.at(-1)).to.deep.equal({target: 'api.example.test:443', auth: `Basic ${Buffer.from(`corp:${proxyPassword}`).toString('base64')}`})
    expect(auths.at(-1)).to.equal(`Bearer ${fx.keys.openai}`)
    const env = JSON.parse(readFileSync(dump, 'utf8')) as Record<string, string>
    // SDKs that honour HTTP_PROXY (httpx, requests, curl) would send the loopback base URL to the proxy
    expect(env.NO_PROXY).to.equal('corp.internal,127.0.0.1')
    expect(env.no_proxy).to.equal('corp.internal,127.0.0.1')
    expect(env.HTTPS_PROXY, 'the child keeps its own proxy settings').to.equal(proxyEnv().HTTPS_PROXY)
    expect(env.OPENAI_API_KEY).to.match(/^cvm_/)
    for (const [where, text] of [['the child env', readFileSync(dump, 'utf8')], ['stdout', result.stdout], ['stderr', result.stderr], ['the audit log', readFileSync(`${fx.home.vault}.audit`)]] as const) {
      assertNoCanary(text, [fx.keys.openai], where)
    }
    assertNoCanary(readFileSync(`${fx.home.vault}.audit`), [proxyPassword], 'the audit log')
  })

  it('--dry-run names the proxy by its origin, without its credentials', async () => {
    const result = await fx.cli(['run', '--asset', 'shop', '--mediate', '--dry-run'], {env: proxyEnv()})
    expect(result.code, explain(result)).to.equal(0)
    expect(result.stdout).to.include(`forwards to https://api.example.test/v1 through the proxy http://127.0.0.1:${port(proxy)} with the real key`)
    expect(result.stdout + result.stderr).not.to.include(proxyPassword)
    const direct = await fx.cli(['run', '--asset', 'shop', '--mediate', '--dry-run', '--json'], {env: {...proxyEnv(), NO_PROXY: 'example.test'}})
    expect((JSON.parse(direct.stdout).result as {mediated: Record<string, unknown>[]}).mediated[0]).not.to.have.property('proxy')
  })

  it('refuses (exit 2) a proxy it cannot use before the child starts and before any allow record, without showing the setting', async () => {
    const marker = join(fx.markers, 'socks-started')
    const allows = async () => (JSON.parse((await fx.cli(['audit', 'tail', '--asset', 'shop', '--type', 'run.allow', '--json'])).stdout) as {result: {records: unknown[]}}).result.records.length
    const before = await allows()
    const result = await fx.cli(['run', '--asset', 'shop', '--mediate', '--', ...markerChild(marker)], {env: {ALL_PROXY: `socks5://corp:${proxyPassword}@127.0.0.1:1080`}})
    expect(result.code, explain(result)).to.equal(2)
    expect(result.stderr).to.match(/^codex-vault: run --mediate: the proxy your environment sets for api\.example\.test .* uses socks5:\/\//)
    expect(result.stderr).to.include('NO_PROXY')
    expect(result.stderr).not.to.include(proxyPassword)
    expect(existsSync(marker)).to.equal(false)
    expect(await allows()).to.equal(before)
  })
})
