import {expect} from 'chai'

import {type Catalog, loadCatalog, normaliseBuiltin} from '../../src/secrets/providers/catalog.js'
import {BUILTIN_PROVIDERS} from '../../src/secrets/providers/builtin.js'
import {compileFormat, envForFormat, formatsForEnv} from '../../src/secrets/providers/formats.js'
import {CAPABILITY_PATTERN, ENV_NAME_PATTERN, providerSchema} from '../../src/secrets/providers/schema.js'
import {admissionProblems, providerProblems} from '../../src/secrets/providers/validate.js'
import {maskPreview} from '../../src/secrets/secret-value.js'
import {canary, expectVaultError} from './helpers.js'
import {sampleFor} from './sample-key.js'

const userProvider = (overrides: Record<string, unknown> = {}) => ({
  id: 'acme',
  name: 'Acme AI',
  capabilities: ['ai.acme.inference'],
  env: ['ACME_API_KEY'],
  keyFormats: [{id: 'acme-key', pattern: 'acme_[a-z0-9]{20}', keywords: ['acme_']}],
  ...overrides,
})

describe('built-in provider catalog', () => {
  it('has every provider the product promises', () => {
    const ids = BUILTIN_PROVIDERS.map((p) => p.id)
    for (const id of ['openai', 'azure-openai', 'anthropic', 'google-gemini', 'vertex-ai', 'mistral', 'cohere', 'groq', 'huggingface',
      'replicate', 'xai', 'deepseek', 'perplexity', 'openrouter', 'together', 'fireworks', 'vercel-ai-gateway', 'aws', 'stripe',
      'supabase', 'postgres', 'tavily', 'pinecone', 'langsmith']) expect(ids).to.include(id)
    expect(new Set(ids).size).to.equal(ids.length)
  })

  for (const input of BUILTIN_PROVIDERS) {
    describe(input.id, () => {
      it('validates against the strict schema and the fast path equals the zod output', () => {
        const parsed = providerSchema.parse(input)
        expect(normaliseBuiltin(input)).to.deep.equal(parsed)
        expect(providerProblems(parsed)).to.deep.equal([])
        // what `provider add` asks of a new definition (injectable env names, patterns that cannot hang scan)
        expect(admissionProblems(parsed)).to.deep.equal([])
      })

      it('has well-formed capabilities and env names', () => {
        for (const capability of input.capabilities) {
          expect(capability).to.match(CAPABILITY_PATTERN)
          expect(capability.split('.')[1]).to.equal(input.id)
        }
        for (const name of [...input.env, ...(input.publicEnv ?? [])]) expect(name).to.match(ENV_NAME_PATTERN)
      })

      for (const format of input.keyFormats ?? []) {
        it(`format ${format.id}: compiles, matches a generated sample, and masking hides it`, () => {
          expect(format.pattern).not.to.match(/\(\?[a-z]/) // no inline flags (Go/PCRE only)
          const regex = compileFormat(format)
          const catalog = loadCatalog([])
          for (let i = 0; i < 5; i++) {
            const sample = sampleFor(format.pattern)
            expect(regex.test(sample), sample.slice(0, 12)).to.equal(true)
            expect(format.keywords.some((k) => sample.toLowerCase().includes(k))).to.equal(true)
            const hits = catalog.matchValue(sample)
            expect(hits.some((h) => h.provider.id === input.id && h.format.id === format.id)).to.equal(true)
            if (!format.shared) {
              // a distinctive format identifies exactly one provider
              expect([...new Set(hits.filter((h) => !h.format.shared).map((h) => h.provider.id))]).to.deep.equal([input.id])
            }
            const masked = maskPreview(sample)
            expect(masked).not.to.include(sample)
            expect(masked.split('…')[0].length).to.be.at.most(Math.min(8, Math.floor(sample.length / 3)))
          }
        })
      }
    })
  }

  it('no env name or capability belongs to two built-ins', () => {
    const seenEnv = new Map<string, string>()
    const seenCap = new Map<string, string>()
    for (const p of BUILTIN_PROVIDERS) {
      for (const name of [...p.env, ...(p.publicEnv ?? [])]) {
        expect(seenEnv.get(name), `${name} in ${p.id}`).to.equal(undefined)
        seenEnv.set(name, p.id)
      }
      for (const cap of p.capabilities) {
        expect(seenCap.get(cap)).to.equal(undefined)
        seenCap.set(cap, p.id)
      }
    }
  })

  it('covers the wrappers and constructors the scanner relies on', () => {
    const catalog = loadCatalog([])
    const npm = catalog.providers.flatMap((p) => p.detect.npm)
    for (const name of ['@ai-sdk/openai', '@langchain/openai', '@ai-sdk/anthropic', '@ai-sdk/google', '@langchain/tavily']) expect(npm).to.include(name)
    expect(catalog.get('openai')!.detect.pypi).to.include('langchain-openai')
    const constructors = catalog.providers.flatMap((p) => p.detect.constructors)
    for (const name of ['OpenAI', 'AsyncOpenAI', 'Anthropic', 'GoogleGenAI', 'Groq', 'Mistral', 'CohereClient', 'Replicate', 'Together', 'Stripe', 'Pinecone', 'TavilyClient']) {
      expect(constructors).to.include(name)
    }
    expect(catalog.get('openrouter')!.aggregator).to.equal(true)
    expect(catalog.get('vercel-ai-gateway')!.aggregator).to.equal(true)
    expect(catalog.get('vertex-ai')!.credentialFile).to.equal(true)
  })
})

describe('format applicability', () => {
  const catalog = loadCatalog([])
  const ids = (list: {id: string}[]) => list.map((f) => f.id)

  it('an env-specific format applies to that name only; env-less formats to unclaimed aliases', () => {
    const stripe = catalog.require('stripe')
    expect(ids(formatsForEnv(stripe, 'STRIPE_SECRET_KEY'))).to.deep.equal(['stripe-secret-key'])
    expect(ids(formatsForEnv(stripe, 'STRIPE_API_KEY'))).to.deep.equal(['stripe-secret-key'])
    expect(ids(formatsForEnv(stripe, 'STRIPE_WEBHOOK_SECRET'))).to.deep.equal(['stripe-webhook-secret'])
    expect(ids(formatsForEnv(stripe, 'STRIPE_PUBLISHABLE_KEY'))).to.deep.equal([])
    const aws = catalog.require('aws')
    expect(ids(formatsForEnv(aws, 'AWS_ACCESS_KEY_ID'))).to.deep.equal(['aws-access-key-id'])
    expect(ids(formatsForEnv(aws, 'AWS_SECRET_ACCESS_KEY'))).to.deep.equal([])
    const anthropic = catalog.require('anthropic')
    expect(ids(formatsForEnv(anthropic, 'ANTHROPIC_AUTH_TOKEN'))).to.deep.equal([])
    expect(formatsForEnv(catalog.require('mistral'), 'MISTRAL_API_KEY')).to.deep.equal([])
  })

  it('a format-matched value goes under the format env or the primary env', () => {
    const stripe = catalog.require('stripe')
    expect(envForFormat(stripe, stripe.keyFormats[0])).to.equal('STRIPE_SECRET_KEY')
    expect(envForFormat(stripe, stripe.keyFormats[1])).to.equal('STRIPE_WEBHOOK_SECRET')
  })
})

describe('loadCatalog', () => {
  it('loads fast (built-ins take no schema parse)', function () {
    loadCatalog([])
    const runs = 200
    const started = process.hrtime.bigint()
    for (let i = 0; i < runs; i++) loadCatalog([])
    const perLoadMs = Number(process.hrtime.bigint() - started) / 1e6 / runs
    console.log(`      loadCatalog([]): ${perLoadMs.toFixed(3)} ms per load`)
    expect(perLoadMs).to.be.below(5)
  })

  it('looks providers up by id, env, capability and value', () => {
    const catalog = loadCatalog([])
    expect(catalog.get('anthropic')!.name).to.equal('Anthropic')
    expect(catalog.get('nope')).to.equal(undefined)
    expect(catalog.byEnv('CO_API_KEY').map((p) => p.id)).to.deep.equal(['cohere'])
    expect(catalog.byEnv('COHERE_API_KEY').map((p) => p.id)).to.deep.equal(['cohere'])
    expect(catalog.byEnv('NEXT_PUBLIC_SUPABASE_ANON_KEY')).to.deep.equal([])
    expect(catalog.byPublicEnv('NEXT_PUBLIC_SUPABASE_ANON_KEY').map((p) => p.id)).to.deep.equal(['supabase'])
    expect(catalog.byEnv('UNKNOWN_THING')).to.deep.equal([])
    expect(catalog.byCapability('payments.stripe.webhook-verify')!.id).to.equal('stripe')
    expect(catalog.byCapability('ai.aws.bedrock')!.id).to.equal('aws')
    expect(catalog.byCapability('ai.nobody.inference')).to.equal(undefined)
    expect(catalog.matchValue(canary(40))).to.deep.equal([])
    expect(catalog.matchValue('')).to.deep.equal([])
    const pk = catalog.matchValue(`pk_live_${canary(30)}`)
    expect(pk.map((m) => [m.provider.id, m.format.id, m.format.public])).to.deep.equal([['stripe', 'stripe-publishable-key', true]])
  })

  it('require() names the known ids for an unknown provider', () => {
    const error = expectVaultError(() => loadCatalog([]).require('opnai'), 'INVALID_INPUT')
    expect(error.message).to.include('unknown provider "opnai"')
    expect(error.message).to.include('openai')
    expect(error.message).to.include('anthropic')
    expect(error.suggestions.length).to.be.greaterThan(0)
  })

  it('a user provider replaces the built-in with the same id and new ones are added', () => {
    const builtins = loadCatalog([]).providers.length
    const catalog = loadCatalog([
      userProvider({id: 'openai', name: 'OpenAI via proxy', capabilities: ['ai.openai.inference'], env: ['OPENAI_API_KEY'], keyFormats: []}),
      userProvider(),
    ])
    expect(catalog.providers.length).to.equal(builtins + 1)
    expect(catalog.get('openai')!.name).to.equal('OpenAI via proxy')
    expect(catalog.byCapability('ai.openai.files')).to.equal(undefined)
    expect(catalog.get('acme')!.detect.npm).to.deep.equal([])
    expect(catalog.userDefined.has('acme')).to.equal(true)
    expect(catalog.userDefined.has('anthropic')).to.equal(false)
    const value = `acme_${canary(20).toLowerCase().replace(/[^a-z0-9]/g, '0')}`
    expect(catalog.matchValue(value).map((m) => m.provider.id)).to.deep.equal(['acme'])
  })

  it('a user provider sharing an env name comes first in byEnv', () => {
    const catalog: Catalog = loadCatalog([userProvider({env: ['ACME_API_KEY', 'GROQ_API_KEY']})])
    expect(catalog.byEnv('GROQ_API_KEY').map((p) => p.id)).to.deep.equal(['acme', 'groq'])
  })

  it('still loads a stored user provider that provider add would now refuse, so the vault opens and provider remove can take it out', () => {
    const catalog = loadCatalog([userProvider({env: ['ACME_API_KEY', 'PATH'], keyFormats: [{id: 'acme-key', pattern: 'acme_(a+)+', keywords: ['acme_']}]})])
    expect(catalog.get('acme')!.env).to.deep.equal(['ACME_API_KEY', 'PATH'])
  })

  it('refuses an invalid user catalog, naming the field', () => {
    const error = expectVaultError(() => loadCatalog([userProvider(), userProvider({env: ['lower']})]), 'INVALID_INPUT')
    expect(error.message).to.match(/^user provider catalog: \[1\]\.env\[0\]: /)
    expectVaultError(() => loadCatalog([userProvider(), userProvider()]), 'INVALID_INPUT')
  })
})
