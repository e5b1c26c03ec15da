import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import {resolve} from '../../src/ingest/resolver.js'
import {scanProject} from '../../src/ingest/scan.js'
import {isPlaceholder} from '../../src/ingest/leaks.js'
import {testProviders} from './fixtures/catalog.js'
import {sampleFor} from './helpers/sample.js'
import {copyFixture, FIXTURES, removeTmp, writeTree} from './helpers/tmp.js'

const APPS = ['node-openai', 'python-anthropic', 'go-app', 'monorepo', 'traps']

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function jwt(payload: Record<string, unknown>): string {
  return `${b64url({alg: 'HS256', typ: 'JWT'})}.${b64url(payload)}.${crypto.randomBytes(32).toString('base64url')}`
}

describe('ingest fixtures', () => {
  const dirs: string[] = []
  afterEach(() => {
    while (dirs.length > 0) removeTmp(dirs.pop()!)
  })
  const copy = (name: string): string => {
    const dir = copyFixture(name)
    dirs.push(dir)
    return dir
  }

  for (const app of APPS) {
    it(`${app}: scan and resolve match the expected JSON`, async () => {
      const scan = await scanProject({root: copy(app), providers: testProviders})
      const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected', `${app}.json`), 'utf8'))
      expect({evidence: scan.evidence, leaks: scan.leaks, manifests: scan.manifests}).to.deep.equal(expected.scan)
      expect(resolve(scan, testProviders)).to.deep.equal(expected.resolve)
    })
  }

  it('a Node app with only `openai` in package.json and `new OpenAI()` requires ai.openai.inference with OPENAI_API_KEY', async () => {
    const result = resolve(await scanProject({root: copy('node-openai'), providers: testProviders}), testProviders)
    expect(result.apps).to.have.length(1)
    const [cap] = result.apps[0].capabilities
    expect(cap).to.include({capability: 'ai.openai.inference', provider: 'openai', confidence: 'required'})
    expect(cap.env).to.deep.equal(['OPENAI_API_KEY'])
  })

  it('a provider named only in a README or a comment is never required', async () => {
    for (const app of ['monorepo', 'traps']) {
      const scan = await scanProject({root: copy(app), providers: testProviders})
      const result = resolve(scan, testProviders)
      for (const a of result.apps) {
        for (const cap of a.capabilities) {
          const kinds = new Set(cap.evidence.map((e) => e.kind))
          if (kinds.size === 1 && kinds.has('mention')) expect(cap.confidence, `${app}:${cap.provider}`).to.equal('mentioned')
        }
      }
      const mentionedOnly = result.apps.flatMap((a) => a.capabilities).filter((c) => c.provider === 'anthropic' || c.provider === 'groq')
      expect(mentionedOnly).to.not.be.empty
      for (const c of mentionedOnly) expect(c.confidence).to.equal('mentioned')
    }
  })

  it('model ids sent through an aggregator never require the model vendor', async () => {
    const result = resolve(await scanProject({root: copy('traps'), providers: testProviders}), testProviders)
    const caps = result.apps[0].capabilities
    expect(caps.find((c) => c.provider === 'vercel-ai-gateway')?.confidence).to.equal('required')
    expect(caps.find((c) => c.provider === 'openrouter')?.confidence).to.equal('likely')
    expect(caps.find((c) => c.provider === 'gemini')).to.equal(undefined)
    expect(caps.find((c) => c.provider === 'anthropic')?.confidence).to.equal('mentioned')
  })

  it('public demo keys and publishable keys are not leaks; a service_role JWT is', async () => {
    const dir = copy('traps')
    const anon = jwt({iss: 'supabase', ref: crypto.randomBytes(10).toString('hex'), role: 'anon', iat: 1700000000, exp: 2000000000})
    const demo = jwt({iss: 'supabase-demo', role: 'service_role', exp: 1983812996})
    const pk = sampleFor('pk_live_[A-Za-z0-9]{99}', (v) => !isPlaceholder(v))
    const service = jwt({iss: 'supabase', ref: crypto.randomBytes(10).toString('hex'), role: 'service_role', iat: 1700000000, exp: 2000000000})
    writeTree(dir, {
      'src/public.ts': `export const anon = '${anon}'\nexport const demo = '${demo}'\nexport const pk = '${pk}'\n`,
      'src/server.ts': `export const service = '${service}'\n`,
    })
    const scan = await scanProject({root: dir, providers: testProviders})
    expect(scan.leaks).to.deep.equal([{file: 'src/server.ts', line: 1, rule: 'supabase-jwt', provider: 'supabase', preview: `${service.slice(0, 8)}…(${service.length})`}])
    const json = JSON.stringify({scan, resolve: resolve(scan, testProviders)})
    expect(json).to.not.include(service)
  })

  it('pins the resolve --json and scan --json contracts', async () => {
    const dir = copy('contract')
    const key = sampleFor('sk-ant-api03-[A-Za-z0-9_-]{93}AA', (v) => !isPlaceholder(v))
    writeTree(dir, {'web/config.js': `${'// config\n'.repeat(8)}export const key = "${key}"\n`})
    const scan = await scanProject({root: dir, providers: testProviders})
    const result = resolve(scan, testProviders)
    expect(JSON.stringify(result)).to.equal(
      '{"apps":[{"path":"web","capabilities":[{"capability":"ai.openai.inference","provider":"openai","confidence":"required","env":["OPENAI_API_KEY"],"evidence":[{"file":"web/src/chat.ts","line":3,"kind":"sdk-constructor"}]}]}],"leaks":[{"file":"web/config.js","line":9,"rule":"anthropic-api-key","provider":"anthropic","preview":"sk-ant-a…(108)"}]}',
    )
    const scanJson = JSON.parse(JSON.stringify({evidence: scan.evidence, leaks: scan.leaks}))
    expect(scanJson.leaks).to.deep.equal(result.leaks)
    expect(scanJson.evidence).to.deep.equal([
      {file: 'web/src/chat.ts', line: 3, kind: 'sdk-constructor', provider: 'openai', strength: 'strong', detail: 'OpenAI', env: 'OPENAI_API_KEY'},
    ])
    expect(JSON.stringify(scan)).to.not.include(key)
  })
})
