import {randomInt} from 'node:crypto'

import {expect} from 'chai'

import {parseDotenv, parseDotenvFile, scrubDotenv} from '../../src/secrets/dotenv.js'
import {isPlaceholder, planImport} from '../../src/secrets/import-plan.js'
import {loadCatalog} from '../../src/secrets/providers/catalog.js'
import {canary, fakeJwt, randomHex} from './helpers.js'
import {sampleFor} from './sample-key.js'

const catalog = loadCatalog([])
const sample = (formatId: string) => {
  const format = catalog.providers.flatMap((p) => p.keyFormats).find((f) => f.id === formatId)
  if (!format) throw new Error(formatId)
  return sampleFor(format.pattern)
}
const plan = (text: string) => planImport(parseDotenv(text), catalog)

/** Known secrets: [.env key, value, expected provider, expected env, how]. */
function knownSecrets(): [string, string, string, string, 'env' | 'format'][] {
  return [
    ['OPENAI_API_KEY', sample('openai-api-key'), 'openai', 'OPENAI_API_KEY', 'env'],
    ['ANTHROPIC_API_KEY', sample('anthropic-api-key'), 'anthropic', 'ANTHROPIC_API_KEY', 'env'],
    ['GEMINI_API_KEY', sample('google-api-key'), 'google-gemini', 'GEMINI_API_KEY', 'env'],
    ['MISTRAL_API_KEY', canary(32), 'mistral', 'MISTRAL_API_KEY', 'env'],
    ['CO_API_KEY', canary(40), 'cohere', 'CO_API_KEY', 'env'],
    ['GROQ_API_KEY', sample('groq-api-key'), 'groq', 'GROQ_API_KEY', 'env'],
    ['HUGGINGFACE_API_KEY', sample('huggingface-access-token'), 'huggingface', 'HUGGINGFACE_API_KEY', 'env'],
    ['REPLICATE_API_TOKEN', sample('replicate-api-token'), 'replicate', 'REPLICATE_API_TOKEN', 'env'],
    ['XAI_API_KEY', sample('xai-api-key'), 'xai', 'XAI_API_KEY', 'env'],
    ['DEEPSEEK_API_KEY', sample('deepseek-api-key'), 'deepseek', 'DEEPSEEK_API_KEY', 'env'],
    ['PERPLEXITY_API_KEY', sample('perplexity-api-key'), 'perplexity', 'PERPLEXITY_API_KEY', 'env'],
    ['TOGETHER_API_KEY', randomHex(64), 'together', 'TOGETHER_API_KEY', 'env'],
    ['FIREWORKS_API_KEY', `fw_${canary(24)}`, 'fireworks', 'FIREWORKS_API_KEY', 'env'],
    ['AI_GATEWAY_API_KEY', canary(44), 'vercel-ai-gateway', 'AI_GATEWAY_API_KEY', 'env'],
    ['AWS_ACCESS_KEY_ID', sample('aws-access-key-id'), 'aws', 'AWS_ACCESS_KEY_ID', 'env'],
    ['AWS_SECRET_ACCESS_KEY', canary(40), 'aws', 'AWS_SECRET_ACCESS_KEY', 'env'],
    ['STRIPE_SECRET_KEY', `sk_live_${canary(99)}`, 'stripe', 'STRIPE_SECRET_KEY', 'env'],
    ['STRIPE_WEBHOOK_SECRET', sample('stripe-webhook-secret'), 'stripe', 'STRIPE_WEBHOOK_SECRET', 'env'],
    ['SUPABASE_PRIVATE_KEY', fakeJwt({iss: 'supabase', role: 'service_role'}), 'supabase', 'SUPABASE_PRIVATE_KEY', 'env'],
    ['DATABASE_URL', `postgres://app:${canary(24)}@db.example.com:5432/app?sslmode=require`, 'postgres', 'DATABASE_URL', 'env'],
    ['ADMIN_OPENAI', sample('openai-admin-key'), 'openai', 'OPENAI_ADMIN_KEY', 'format'],
    ['CLAUDE_ADMIN', sample('anthropic-admin-api-key'), 'anthropic', 'ANTHROPIC_ADMIN_KEY', 'format'],
    ['ROUTER_KEY', sample('openrouter-api-key'), 'openrouter', 'OPENROUTER_API_KEY', 'format'],
    ['SEARCH_KEY', sample('tavily-api-key'), 'tavily', 'TAVILY_API_KEY', 'format'],
    ['VECTOR_DB_KEY', sample('pinecone-api-key'), 'pinecone', 'PINECONE_API_KEY', 'format'],
    ['TRACING_KEY', sample('langsmith-api-key'), 'langsmith', 'LANGSMITH_API_KEY', 'format'],
    ['BEDROCK_KEY', sample('aws-bedrock-api-key'), 'aws', 'AWS_BEARER_TOKEN_BEDROCK', 'format'],
    ['SB_PAT', sample('supabase-access-token'), 'supabase', 'SUPABASE_ACCESS_TOKEN', 'format'],
    ['HF_ORG', sample('huggingface-org-token'), 'huggingface', 'HF_TOKEN', 'format'],
    ['SB_SECRET', sample('supabase-secret-key'), 'supabase', 'SUPABASE_SERVICE_ROLE_KEY', 'format'],
  ]
}

/** An assignment written in one of the styles the parser supports. */
function render(key: string, value: string, style: number): string {
  switch (style % 6) {
    case 0: return `${key}=${value}`
    case 1: return `export ${key}="${value}"`
    case 2: return `${key} = '${value}' # set by ops`
    case 3: return `${key}=\`${value}\``
    case 4: return `${key}=${value} # inline comment`
    default: return `  export   ${key}=${value}`
  }
}

describe('planImport on a 200-variable .env', () => {
  it('matches the 30 known providers, leaves 170, and scrubbing keeps the 170 intact', () => {
    const known = knownSecrets()
    expect(known).to.have.length(30)
    const others: [string, string][] = []
    for (let i = 0; i < 170; i++) {
      const kinds = [randomHex(40), `https://svc-${i}.example.com/api`, String(randomInt(1e6)), `feature flag ${i}`, canary(24), 'true', '']
      others.push([`APP_SETTING_${i}`, kinds[i % kinds.length]])
    }
    const all = [...known.map(([k, v]) => [k, v] as [string, string]), ...others]
    for (let i = all.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [all[i], all[j]] = [all[j], all[i]]
    }
    let text = '# generated\n'
    all.forEach(([key, value], i) => {
      text += `${render(key, value, i)}${i % 7 === 0 ? '\r\n' : '\n'}`
      if (i % 11 === 0) text += '\n# section\n'
    })
    text += 'MULTI="line one\nline two"\n'

    const {entries, errors} = parseDotenvFile(text)
    expect(errors).to.deep.equal([])
    expect(entries).to.have.length(201)
    const result = planImport(entries, catalog)
    expect(result.rejected).to.deep.equal([])
    expect(result.public).to.deep.equal([])
    expect(result.matched).to.have.length(30)
    expect(result.unrecognised).to.have.length(171)
    for (const [key, value, provider, env, by] of known) {
      const match = result.matched.find((m) => m.key === key)
      expect(match, key).to.include({provider, env, by})
      expect(result.values.get(key)).to.equal(value)
      expect(match!.line).to.equal(entries.find((e) => e.key === key)!.line)
    }
    expect(result.values.size).to.equal(30)

    // the plan minus the values map is safe to print
    const printable = JSON.stringify({...result, values: undefined})
    for (const [, value] of known) expect(printable).not.to.include(value)

    const scrubbed = scrubDotenv(text, new Set(result.matched.map((m) => m.key)))
    const after = parseDotenvFile(scrubbed)
    expect(after.errors).to.deep.equal([])
    expect(after.entries).to.have.length(171)
    const remaining = Object.fromEntries(after.entries.map((e) => [e.key, e.value]))
    for (const [key, value] of others) expect(remaining[key]).to.equal(value)
    expect(remaining.MULTI).to.equal('line one\nline two')
    for (const [, value] of known) expect(scrubbed).not.to.include(value)
    expect(planImport(after.entries, catalog).matched).to.deep.equal([])
  })
})

describe('planImport rules', () => {
  it('keeps public-by-design values out of the vault', () => {
    const anon = fakeJwt({iss: 'supabase-demo', role: 'anon'})
    const result = plan([
      `NEXT_PUBLIC_SUPABASE_ANON_KEY=${anon}`,
      `SUPABASE_SERVICE_ROLE_KEY=${fakeJwt({role: 'anon'})}`,
      `STRIPE_PUBLISHABLE_KEY=pk_live_${canary(40)}`,
      `CHECKOUT_KEY=pk_test_${canary(40)}`,
      `SUPABASE_PUBLISHABLE_KEY=sb_publishable_${canary(30)}`,
      'NEXT_PUBLIC_SITE_NAME=Acme',
    ].join('\n'))
    expect(result.public.map((p) => [p.key, p.provider])).to.deep.equal([
      ['NEXT_PUBLIC_SUPABASE_ANON_KEY', 'supabase'], ['SUPABASE_SERVICE_ROLE_KEY', 'supabase'],
      ['STRIPE_PUBLISHABLE_KEY', 'stripe'], ['CHECKOUT_KEY', 'stripe'], ['SUPABASE_PUBLISHABLE_KEY', 'supabase'],
    ])
    expect(result.unrecognised.map((u) => u.key)).to.deep.equal(['NEXT_PUBLIC_SITE_NAME'])
    expect(result.matched).to.deep.equal([])
    expect(result.values.size).to.equal(0)
  })

  it('rejects a real secret in a browser-exposed name instead of moving it', () => {
    const key = sample('openai-api-key')
    const result = plan(`NEXT_PUBLIC_OPENAI_API_KEY=${key}\nVITE_KEY=${sample('groq-api-key')}`)
    expect(result.rejected.map((r) => r.key)).to.deep.equal(['NEXT_PUBLIC_OPENAI_API_KEY', 'VITE_KEY'])
    expect(result.rejected[0].reason).to.include('browser').and.not.include(key)
  })

  it('rejects placeholders, empty values and format mismatches for known names', () => {
    const result = plan([
      'OPENAI_API_KEY=sk-...', 'ANTHROPIC_API_KEY=', 'MISTRAL_API_KEY=your-mistral-api-key', 'CO_API_KEY=<your key>',
      'GROQ_API_KEY=${GROQ}', 'XAI_API_KEY=xxxxxxxxxxxx', 'DATABASE_URL=mysql://u:p@h/db', 'TOGETHER_API_KEY=changeme',
      'UNKNOWN_EMPTY=',
    ].join('\n'))
    expect(result.rejected.map((r) => [r.key, r.line])).to.deep.equal([
      ['OPENAI_API_KEY', 1], ['ANTHROPIC_API_KEY', 2], ['MISTRAL_API_KEY', 3], ['CO_API_KEY', 4],
      ['GROQ_API_KEY', 5], ['XAI_API_KEY', 6], ['DATABASE_URL', 7], ['TOGETHER_API_KEY', 8],
    ])
    expect(result.rejected[6].reason).to.include('postgres://').and.not.include('mysql://u:p')
    expect(result.unrecognised.map((u) => u.key)).to.deep.equal(['UNKNOWN_EMPTY'])
    expect(result.matched).to.deep.equal([])
  })

  it('rejects another provider\'s key under a known name, naming the right provider', () => {
    const result = plan(`OPENAI_API_KEY=${sample('openrouter-api-key')}`)
    expect(result.rejected[0].reason).to.include('OpenRouter').and.include('secret set openrouter --env OPENAI_API_KEY')
  })

  it('rejects credential-file paths', () => {
    const result = plan('GOOGLE_APPLICATION_CREDENTIALS=/home/me/sa.json')
    expect(result.rejected[0].reason).to.include('credential file')
  })

  it('does not trust shared formats on their own', () => {
    const result = plan(`FIREBASE_API_KEY=${sample('google-api-key')}\nSOME_TOKEN=${sample('deepseek-api-key')}\nJWT=${fakeJwt({role: 'service_role'})}`)
    expect(result.unrecognised.map((u) => u.key)).to.deep.equal(['FIREBASE_API_KEY', 'SOME_TOKEN', 'JWT'])
  })

  it('gives one provider env to one entry: a name match wins, else the first line', () => {
    const a = sample('openrouter-api-key')
    const b = sample('openrouter-api-key')
    const c = sample('openrouter-api-key')
    const result = plan(`ROUTER_A=${a}\nOPENROUTER_API_KEY=${b}\nROUTER_C=${c}`)
    expect(result.matched.map((m) => m.key)).to.deep.equal(['OPENROUTER_API_KEY'])
    expect(result.rejected.map((r) => r.key)).to.deep.equal(['ROUTER_A', 'ROUTER_C'])
    expect(result.rejected[0].reason).to.include('OPENROUTER_API_KEY (line 2)')
    expect([...result.values.keys()]).to.deep.equal(['OPENROUTER_API_KEY'])
    const two = plan(`ROUTER_A=${a}\nROUTER_C=${c}`)
    expect(two.matched.map((m) => m.key)).to.deep.equal(['ROUTER_A'])
  })

  it('imports a key repeated with the same value once (the last line)', () => {
    const value = canary(32)
    const result = plan(`MISTRAL_API_KEY=${value}\nPORT=3000\nexport MISTRAL_API_KEY="${value}"`)
    expect(result.matched).to.deep.equal([{key: 'MISTRAL_API_KEY', line: 3, provider: 'mistral', env: 'MISTRAL_API_KEY', by: 'env'}])
    expect(result.values.get('MISTRAL_API_KEY')).to.equal(value)
    expect(result.conflicts).to.deep.equal([])
  })

  it('imports neither value of a key repeated with different values, and names it as a conflict (lines only)', () => {
    const [a, b] = [sample('xai-api-key'), sample('xai-api-key')]
    const result = plan(`XAI_API_KEY=${a}\nMISTRAL_API_KEY=${canary(32)}\nXAI_API_KEY=${b}\nXAI_API_KEY=${a}`)
    expect(result.matched.map((m) => m.key)).to.deep.equal(['MISTRAL_API_KEY'])
    expect([...result.values.keys()]).to.deep.equal(['MISTRAL_API_KEY'])
    expect(result.conflicts).to.have.length(1)
    expect(result.conflicts[0]).to.include({key: 'XAI_API_KEY'})
    expect(result.conflicts[0].lines).to.deep.equal([1, 3, 4])
    expect(result.conflicts[0].reason).to.match(/3 times with different values \(lines 1, 3, 4\); none imported/)
    expect(JSON.stringify(result.conflicts)).not.to.include(a).and.not.include(b)
    expect(result.rejected).to.deep.equal([])
  })

  it('rejects a value that matches several providers\' formats', () => {
    const userCatalog = loadCatalog([{
      id: 'acme', name: 'Acme', capabilities: ['ai.acme.inference'], env: ['ACME_KEY'],
      keyFormats: [{id: 'acme-groq-like', pattern: 'gsk_[A-Za-z0-9]{52}', keywords: ['gsk_']}],
    }])
    const result = planImport(parseDotenv(`LLM_KEY=${sample('groq-api-key')}`), userCatalog)
    expect(result.rejected[0].reason).to.include('several providers')
  })

  it('recognises common placeholders', () => {
    for (const value of ['sk-...', 'xxx', '***', '<API_KEY>', '${KEY}', '{{ key }}', '%KEY%', 'changeme', 'your_api_key_here', 'your-openai-key', 'aaaaaaaa', 'TODO', 'key-goes-here']) {
      expect(isPlaceholder(value), value).to.equal(true)
    }
    for (const value of [canary(32), randomHex(40), 'postgres://u:p@h/db']) expect(isPlaceholder(value), value).to.equal(false)
  })
})
