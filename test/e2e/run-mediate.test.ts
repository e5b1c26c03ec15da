/**
 * `run --mediate` end to end on the built binary: the child gets a placeholder and a base URL, its
 * requests reach a fake provider on loopback with the real key, the key never reaches the child,
 * its output, or the audit log, and a provider that cannot be mediated is refused before anything
 * starts. The fake provider replaces the built-in openai through a user provider file.
 */
import {type IncomingMessage, type Server, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {assertNoCanary, explain, hasStackTrace} from '../helpers/cli.js'
import {type RunFixture, markerChild, openaiCanary, runFixture, waitForFile} from '../permissions/e2e-fixture.js'

/** The child: prints its key's prefix and base URL, then calls the API the way an SDK would. */
const CLIENT = `
const key = process.env.OPENAI_API_KEY, base = process.env.OPENAI_BASE_URL
require('fs').writeFileSync(process.argv[1], JSON.stringify(process.env))
fetch(base + '/chat/completions', {method: 'POST', headers: {authorization: 'Bearer ' + key, 'content-type': 'application/json'}, body: '{"model":"m"}'})
  .then(async (r) => { console.log('status', r.status, await r.text()); process.exit(r.status === 200 ? 0 : 1) })
`

describe('run --mediate end to end', function () {
  this.timeout(120_000)
  let fx: RunFixture
  let upstream: Server
  const seen: {url: string; auth: string | undefined}[] = []

  before(async () => {
    fx = await runFixture({grantShop: true})
    upstream = createServer((req: IncomingMessage, res) => {
      seen.push({url: req.url!, auth: req.headers.authorization})
      req.resume()
      res.writeHead(200, {'content-type': 'application/json'})
      // a careless API that repeats the credential it got
      res.end(JSON.stringify({ok: req.headers.authorization === `Bearer ${fx.keys.openai}`, echo: req.headers.authorization}))
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    const port = (upstream.address() as AddressInfo).port
    const providers = join(fx.home.dir, 'providers.json')
    writeFileSync(providers, JSON.stringify([
      {id: 'openai', name: 'OpenAI (test double)', capabilities: ['ai.openai.inference'], env: ['OPENAI_API_KEY'],
        mediate: {baseUrlEnv: 'OPENAI_BASE_URL', baseUrlAliases: ['OPENAI_API_BASE'], upstream: `http://127.0.0.1:${port}/v1`}},
      // no base URL variable: cannot be mediated
      {id: 'anthropic', name: 'Anthropic (no mediation)', capabilities: ['ai.anthropic.inference'], env: ['ANTHROPIC_API_KEY']},
    ]))
    const added = await fx.cli(['provider', 'add', providers, '--replace-builtin'])
    expect(added.code, explain(added)).to.equal(0)
  })

  after(() => {
    upstream?.close()
    fx?.cleanup()
  })

  it('gives the child a placeholder and a base URL; its request reaches the provider with the real key, which never reaches the child, its output or the audit log', async () => {
    const dump = join(fx.markers, 'env.json')
    const result = await fx.cli(['run', '--asset', 'shop', '--mediate', '--', 'node', '-e', CLIENT, dump], {env: {OPENAI_BASE_URL: 'https://elsewhere.example/v1'}})
    expect(result.code, explain(result)).to.equal(0)
    expect(hasStackTrace(result.stderr)).to.equal(false)
    const env = JSON.parse(readFileSync(dump, 'utf8')) as Record<string, string>
    expect(env.OPENAI_API_KEY).to.match(/^cvm_[A-Za-z0-9_-]{43}$/)
    expect(env.OPENAI_BASE_URL).to.match(/^http:\/\/127\.0\.0\.1:\d+\/openai$/)
    expect(env.OPENAI_API_BASE, 'the LangChain alias points at the same proxy').to.equal(env.OPENAI_BASE_URL)
    expect(result.stderr).to.include('OPENAI_BASE_URL from your environment is replaced')
    expect(result.stderr, 'the parent value is not echoed').not.to.include('elsewhere.example')
    expect(seen.at(-1)).to.deep.equal({url: '/v1/chat/completions', auth: `Bearer ${fx.keys.openai}`})
    expect(result.stdout).to.include('status 200').and.include('"ok":true').and.include('[REDACTED:OPENAI_API_KEY]')
    for (const [where, text] of [['the child env', readFileSync(dump, 'utf8')], ['stdout', result.stdout], ['stderr', result.stderr], ['the audit log', readFileSync(`${fx.home.vault}.audit`)]] as const) {
      assertNoCanary(text, [fx.keys.openai], where)
    }
    const tail = await fx.cli(['audit', 'tail', '-n', '2', '--json'])
    const [allow, exit] = (JSON.parse(tail.stdout) as {result: {records: {type: string; data: Record<string, unknown>}[]}}).result.records
    expect(allow.type).to.equal('run.allow')
    expect(allow.data.mediated).to.equal(true)
    expect(exit.type).to.equal('run.exit')
    expect(exit.data).to.include({mediatedForwarded: 1, mediatedRefused: 0})
    expect(exit.data.mediatedCalls).to.deep.equal(['openai POST /v1/chat/completions: 1× 200'])
  })

  it('--dry-run --mediate says which variables become placeholders and where the base URL points', async () => {
    const result = await fx.cli(['run', '--asset', 'shop', '--mediate', '--dry-run', '--json'])
    expect(result.code, explain(result)).to.equal(0)
    const plan = JSON.parse(result.stdout).result as {mediated: {provider: string; baseUrlEnv: string; upstream: string; placeholders: string[]}[]}
    expect(plan.mediated).to.have.length(1)
    expect(plan.mediated[0]).to.include({provider: 'openai', baseUrlEnv: 'OPENAI_BASE_URL'})
    expect(plan.mediated[0].placeholders).to.deep.equal(['OPENAI_API_KEY'])
    expect(plan.mediated[0].upstream).to.match(/^http:\/\/127\.0\.0\.1:\d+\/v1$/)
    const human = await fx.cli(['run', '--asset', 'shop', '--mediate', '--dry-run'])
    expect(human.stdout).to.include('would inject a placeholder for OPENAI_API_KEY').and.include('would point OPENAI_BASE_URL and OPENAI_API_BASE at')
  })

  it('stops forwarding as soon as the grant is revoked, without ending the run, and audits the first denial', async () => {
    const [ready, go] = [join(fx.markers, 'first-call-done'), join(fx.markers, 'go')]
    // one call, then wait for the test to revoke the grant, then two more calls
    const twoCalls = `
const fs = require('fs')
const call = () => fetch(process.env.OPENAI_BASE_URL + '/models', {headers: {authorization: 'Bearer ' + process.env.OPENAI_API_KEY}})
  .then(async (r) => console.log('status', r.status, await r.text()))
call().then(() => { fs.writeFileSync(process.argv[1], ''); const wait = setInterval(() => { if (fs.existsSync(process.argv[2])) { clearInterval(wait); call().then(call) } }, 20) })
`
    const run = fx.spawn(['run', '--asset', 'shop', '--mediate', '--', 'node', '-e', twoCalls, ready, go])
    expect(await waitForFile(ready), 'the first call finished').to.equal(true)
    const revoke = await fx.cli(['grant', 'revoke', '--asset', 'shop', '--reason', 'leaked'])
    expect(revoke.code, explain(revoke)).to.equal(0)
    writeFileSync(go, '')
    const result = await run.done
    expect(result.code, explain(result)).to.equal(0)
    const [first, second, third] = result.stdout.trim().split('\n')
    expect(first).to.match(/^status 200 /)
    expect(second).to.match(/^status 403 /)
    expect(third).to.match(/^status 403 /)
    expect(second).to.include('was revoked (leaked)').and.include('codex-vault grant approve --asset shop --capability ai.openai.inference')
    assertNoCanary(result.stdout + result.stderr, [fx.keys.openai])
    const tail = await fx.cli(['audit', 'tail', '-n', '1', '--type', 'run.exit', '--json'])
    const [exit] = (JSON.parse(tail.stdout) as {result: {records: {data: Record<string, unknown>}[]}}).result.records
    expect(exit.data).to.include({mediatedForwarded: 1, mediatedRefused: 2})
    // the decision taken mid-run is in the log once, between the revocation and the exit
    const log = (JSON.parse((await fx.cli(['audit', 'tail', '-n', '4', '--json'])).stdout) as {result: {records: {type: string; outcome: string; provider?: string; reason?: string}[]}}).result.records
    expect(log.map((record) => record.type)).to.deep.equal(['run.allow', 'grant.revoke', 'run.mediation.deny', 'run.exit'])
    expect(log[2]).to.include({outcome: 'deny', provider: 'openai'})
    expect(log[2].reason).to.include('was revoked (leaked)')
    const again = await fx.cli(['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference'])
    expect(again.code, explain(again)).to.equal(0)
  })

  it('refuses (exit 2) a provider it cannot mediate before the child starts and before any allow record', async () => {
    const marker = join(fx.markers, 'anthropic-started')
    const allows = async () => (JSON.parse((await fx.cli(['audit', 'tail', '--asset', 'other', '--type', 'run.allow', '--json'])).stdout) as {result: {records: unknown[]}}).result.records.length
    const before = await allows()
    const result = await fx.cli(['run', '--asset', 'other', '--mediate', '--', ...markerChild(marker)])
    expect(result.code, explain(result)).to.equal(2)
    expect(result.stderr).to.match(/^codex-vault: run --mediate: anthropic cannot be mediated/)
    expect(result.stderr).to.include('run without --mediate')
    expect(existsSync(marker)).to.equal(false)
    expect(await allows()).to.equal(before)
    // the same run without --mediate is allowed: the refusal was about mediation, not the grant
    const plain = await fx.cli(['run', '--asset', 'other', '--', ...markerChild(marker)])
    expect(plain.code, explain(plain)).to.equal(0)
    expect(await allows()).to.equal(before + 1)
  })

  it('follows the key in the vault: a rotation during the run reaches the next request, recorded first; a removed key stops requests', async () => {
    const marks = [1, 2].map((n) => ({done: join(fx.markers, `call-${n}-done`), go: join(fx.markers, `go-${n}`)}))
    // a call, then wait for the test's change to the vault, twice, then a last call
    const threeCalls = `
const fs = require('fs')
const [done1, go1, done2, go2] = process.argv.slice(1)
const call = () => fetch(process.env.OPENAI_BASE_URL + '/models', {headers: {authorization: 'Bearer ' + process.env.OPENAI_API_KEY}})
  .then(async (r) => console.log('status', r.status, await r.text()))
const after = (file) => new Promise((resolve) => { const wait = setInterval(() => { if (fs.existsSync(file)) { clearInterval(wait); resolve() } }, 20) })
call().then(() => fs.writeFileSync(done1, '')).then(() => after(go1)).then(call).then(() => fs.writeFileSync(done2, '')).then(() => after(go2)).then(call)
`
    const rotated = openaiCanary()
    const before = seen.length
    const run = fx.spawn(['run', '--asset', 'shop', '--mediate', '--', 'node', '-e', threeCalls, marks[0].done, marks[0].go, marks[1].done, marks[1].go])
    try {
      expect(await waitForFile(marks[0].done), 'the first call finished').to.equal(true)
      const rotate = await fx.cli(['secret', 'rotate', 'openai'], {input: rotated})
      expect(rotate.code, explain(rotate)).to.equal(0)
      writeFileSync(marks[0].go, '')
      expect(await waitForFile(marks[1].done), 'the second call finished').to.equal(true)
      const removed = await fx.cli(['secret', 'remove', 'openai'])
      expect(removed.code, explain(removed)).to.equal(0)
      writeFileSync(marks[1].go, '')
      const result = await run.done
      expect(result.code, explain(result)).to.equal(0)
      expect(seen.slice(before).map((entry) => entry.auth), 'the provider got the old key, then the new one, then nothing').to.deep.equal([`Bearer ${fx.keys.openai}`, `Bearer ${rotated}`])
      const [first, second, third] = result.stdout.trim().split('\n')
      expect(first).to.match(/^status 200 /)
      expect(second).to.match(/^status 200 /)
      expect(third).to.match(/^status 403 /)
      expect(third).to.include('was removed from the vault').and.include('codex-vault secret set openai')
      expect(result.stderr).to.include('the openai key (OPENAI_API_KEY) changed in the vault (version 2); mediated requests use the new one from now on')
      const log = (JSON.parse((await fx.cli(['audit', 'tail', '-n', '6', '--json'])).stdout) as {result: {records: {type: string; provider?: string; data?: Record<string, unknown>}[]}}).result.records
      expect(log.map((record) => record.type)).to.deep.equal(['run.allow', 'secret.rotate', 'run.mediation.rotate', 'secret.remove', 'run.mediation.deny', 'run.exit'])
      expect(log[2].provider).to.equal('openai')
      expect(log[2].data).to.include({env: 'OPENAI_API_KEY', version: 2, fingerprint: log[1].data!.fingerprint, previousFingerprint: log[1].data!.previousFingerprint})
      for (const [where, text] of [['stdout', result.stdout], ['stderr', result.stderr], ['the audit log', readFileSync(`${fx.home.vault}.audit`)]] as const) {
        assertNoCanary(text, [fx.keys.openai, rotated], where)
      }
    } finally {
      for (const mark of marks) writeFileSync(mark.go, '')
      await run.done
      // the other tests of this file expect the fixture's key (removed above, unless a step failed)
      await fx.cli(['secret', 'remove', 'openai'])
      const restored = await fx.cli(['secret', 'set', 'openai'], {input: fx.keys.openai})
      expect(restored.code, explain(restored)).to.equal(0)
    }
  })
})
