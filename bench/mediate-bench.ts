// Cost of `run --mediate` per request: a local fake provider answering 1 KiB of JSON, called
// directly and through the mediator (placeholder swap, header copy, response scrubbing), with
// keep-alive, N sequential requests each, best of 3. Also a 10 MB streamed answer (SSE-like).
// Run: cd /work/main && node --import tsx bench/mediate-bench.ts
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import {newPlaceholder, startMediator} from '../src/runtime/mediator.js'

const N = Number(process.env.N ?? 2000)
const key = `sk-proj-${'k'.repeat(150)}`
const placeholder = newPlaceholder()
const small = Buffer.from(JSON.stringify({id: 'x', choices: [{text: 'y'.repeat(1000)}]}))
const big = Buffer.alloc(10 * 1024 * 1024, 'data: {"delta":"token"}\n\n')

const upstream = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    const body = req.url?.includes('big') ? big : small
    res.writeHead(200, {'content-type': 'application/json', 'content-length': body.length})
    res.end(body)
  })
})
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
const direct = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`
const mediator = await startMediator([{provider: 'openai', mediate: {baseUrlEnv: 'OPENAI_BASE_URL', upstream: direct}, proxy: null,
  keys: [{env: 'OPENAI_API_KEY', value: key, placeholder}], stillAllowed: async () => null}])

async function time(base: string, secret: string, path: string, n: number): Promise<number> {
  const started = performance.now()
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${base}${path}`, {method: 'POST', headers: {authorization: `Bearer ${secret}`, 'content-type': 'application/json'}, body: '{"model":"m"}'})
    await response.arrayBuffer()
  }
  return performance.now() - started
}

const best = async (fn: () => Promise<number>) => Math.min(await fn(), await fn(), await fn())
await time(direct, key, '/chat', 200)
await time(mediator.baseUrl('openai'), placeholder, '/chat', 200)
const d = await best(() => time(direct, key, '/chat', N))
const m = await best(() => time(mediator.baseUrl('openai'), placeholder, '/chat', N))
const db = await best(() => time(direct, key, '/big', 5))
const mb = await best(() => time(mediator.baseUrl('openai'), placeholder, '/big', 5))
console.log(JSON.stringify({
  requests: N,
  directMsPerRequest: +(d / N).toFixed(3), mediatedMsPerRequest: +(m / N).toFixed(3), addedMsPerRequest: +((m - d) / N).toFixed(3),
  big10MBDirectMBps: Math.round((50 / db) * 1000), big10MBMediatedMBps: Math.round((50 / mb) * 1000), bigRatio: +(db / mb).toFixed(2),
}, null, 1))
await mediator.close()
upstream.close()
