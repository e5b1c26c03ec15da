import {expect} from 'chai'
import {classifyFile, extractEvidence, type Evidence} from '../../src/ingest/evidence.js'
import {LineIndex} from '../../src/ingest/lines.js'
import {compileSignatures, findKeywordHits} from '../../src/ingest/signatures.js'
import {testProviders} from './fixtures/catalog.js'

const sig = compileSignatures(testProviders)

function evidence(rel: string, text: string): Evidence[] {
  return extractEvidence({rel, text, lines: new LineIndex(text), kind: classifyFile(rel), hits: findKeywordHits(sig, Buffer.from(text, 'latin1'))}, sig)
}

function envs(rel: string, text: string): string[] {
  return evidence(rel, text).filter((e) => e.kind === 'env-reference').map((e) => `${e.line}:${e.provider}:${e.env}:${e.strength}`)
}

describe('ingest evidence', () => {
  it('reads env references in every supported syntax', () => {
    const cases: [string, string][] = [
      ['a.ts', 'const k = process.env.OPENAI_API_KEY'],
      ['a.js', "const k = process.env['OPENAI_API_KEY']"],
      ['a.tsx', 'const k = import.meta.env.OPENAI_API_KEY'],
      ['a.ts', "const k = Deno.env.get('OPENAI_API_KEY')"],
      ['a.py', "k = os.environ['OPENAI_API_KEY']"],
      ['a.py', "k = os.environ.get('OPENAI_API_KEY')"],
      ['a.py', 'k = os.getenv("OPENAI_API_KEY")'],
      ['a.go', 'k := os.Getenv("OPENAI_API_KEY")'],
      ['a.rs', 'let k = env::var("OPENAI_API_KEY");'],
      ['a.rb', "k = ENV['OPENAI_API_KEY']"],
      ['a.rb', "k = ENV.fetch('OPENAI_API_KEY')"],
      ['a.php', "$k = getenv('OPENAI_API_KEY');"],
      ['a.php', "$k = $_ENV['OPENAI_API_KEY'];"],
    ]
    for (const [rel, text] of cases) expect(envs(rel, text), text).to.deep.equal(['1:openai:OPENAI_API_KEY:strong'])
  })

  it('reads env names in shell scripts, Dockerfiles, compose files, workflows and .env templates as medium evidence', () => {
    expect(envs('start.sh', 'export X=1\ncurl -H "Authorization: Bearer $OPENAI_API_KEY" -H "$HOME"\necho ${STRIPE_SECRET_KEY}\n')).to.deep.equal([
      '2:openai:OPENAI_API_KEY:medium', '3:stripe:STRIPE_SECRET_KEY:medium',
    ])
    expect(envs('Dockerfile', 'FROM node\nARG GROQ_API_KEY\nENV PORT=3000\n')).to.deep.equal(['2:groq:GROQ_API_KEY:medium'])
    expect(envs('docker-compose.yml', 'services:\n  web:\n    environment:\n      - OPENAI_API_KEY\n      PORT: 3000\n')).to.deep.equal([
      '4:openai:OPENAI_API_KEY:medium', '5:null:PORT:medium',
    ])
    expect(envs('.github/workflows/ci.yml', 'jobs:\n  t:\n    steps:\n      - run: x\n        with:\n          token: ${{ secrets.HF_TOKEN }}\n')).to.deep.equal([
      '6:huggingface:HF_TOKEN:medium',
    ])
    expect(envs('.env.sample', '# comment\nANTHROPIC_API_KEY=\nexport APP_SECRET=x\n')).to.deep.equal([
      '2:anthropic:ANTHROPIC_API_KEY:medium', '3:null:APP_SECRET:medium',
    ])
  })

  it('reads env names destructured from process.env and import.meta.env, each on its own line', () => {
    expect(envs('a.ts', 'const { ANTHROPIC_API_KEY } = process.env;\n')).to.deep.equal(['1:anthropic:ANTHROPIC_API_KEY:strong'])
    expect(envs('a.ts', 'const { OPENAI_API_KEY: key } = process.env\n')).to.deep.equal(['1:openai:OPENAI_API_KEY:strong'])
    const multi = [
      'const {',
      '  GROQ_API_KEY,',
      "  STRIPE_SECRET_KEY = 'sk_test_placeholder, with a comma',",
      '  // the gateway',
      "  'HF_TOKEN': hf,",
      '  PORT: port = 3000,',
      '  ...rest',
      '} = process.env',
      'let {GEMINI_API_KEY} = import.meta.env',
    ].join('\n')
    expect(envs('config.ts', multi)).to.deep.equal([
      '2:groq:GROQ_API_KEY:strong', '3:stripe:STRIPE_SECRET_KEY:strong', '5:huggingface:HF_TOKEN:strong', '6:null:PORT:strong', '9:gemini:GEMINI_API_KEY:strong',
    ])
    // not destructuring: a property read, a comparison, a copy, a comment
    expect(envs('b.ts', 'if (x) { y() }\nconst all = process.env\nconst same = {A: 1} == process.env\n// const {OPENAI_API_KEY} = process.env\nconst k = process.env.GROQ_API_KEY\n')).to.deep.equal([
      '5:groq:GROQ_API_KEY:strong',
    ])
  })

  it("reports an app's own env names with provider null", () => {
    expect(envs('a.ts', 'const u = process.env.DATABASE_URL')).to.deep.equal(['1:null:DATABASE_URL:strong'])
  })

  it('ignores code in comments and docs except as weak mentions', () => {
    const items = evidence('a.ts', "// const c = new OpenAI()\n// process.env.STRIPE_SECRET_KEY\n/* import Groq from 'groq-sdk' */\nexport {}\n")
    expect(items.map((e) => `${e.line}:${e.kind}:${e.provider}:${e.strength}`)).to.deep.equal([
      '1:mention:openai:weak', '2:mention:stripe:weak', '3:mention:groq:weak',
    ])
    const doc = evidence('docs/setup.md', "```js\nimport OpenAI from 'openai'\nconst c = new OpenAI()\nprocess.env.OPENAI_API_KEY\n```\n")
    expect(doc.map((e) => `${e.line}:${e.kind}:${e.strength}`)).to.deep.equal(['2:mention:weak'])
  })

  it('reads imports and SDK constructors in JS, Python, Go, Ruby and PHP', () => {
    const kinds = (rel: string, text: string): string[] => evidence(rel, text).map((e) => `${e.line}:${e.kind}:${e.provider}${e.env ? `:${e.env}` : ''}`)
    expect(kinds('a.ts', "import OpenAI from 'openai'\nconst Groq = require('groq-sdk')\nconst s = await import('stripe')\nexport * from '@anthropic-ai/sdk/resources'\n")).to.deep.equal([
      '1:import:openai', '2:import:groq', '3:import:stripe', '4:import:anthropic',
    ])
    expect(kinds('a.py', 'from google import genai\nclient = genai.Client()\nimport huggingface_hub, json\n')).to.deep.equal([
      '1:import:gemini', '2:sdk-constructor:gemini:GEMINI_API_KEY', '3:import:huggingface',
    ])
    expect(kinds('a.go', 'import "github.com/openai/openai-go/option"\n')).to.deep.equal(['1:import:openai'])
    expect(kinds('a.rb', "require 'stripe'\n")).to.deep.equal(['1:import:stripe'])
    expect(kinds('a.php', 'use Stripe\\StripeClient;\n')).to.deep.equal(['1:import:stripe'])
    expect(kinds('a.ts', 'const c = new AzureOpenAI()\n')).to.deep.equal([])
  })

  it('an SDK constructed with an explicit key does not imply its default env', () => {
    const items = evidence('a.ts', 'const c = new OpenAI({apiKey: process.env.MY_OPENAI})\n')
    expect(items.map((e) => `${e.kind}:${e.provider}:${e.env ?? '-'}`)).to.deep.equal(['env-reference:null:MY_OPENAI', 'sdk-constructor:openai:-'])
  })

  it('model ids count for an aggregator in the same file, never for the vendor', () => {
    const without = evidence('a.ts', "const m = 'anthropic/claude-sonnet-4'\n")
    expect(without).to.deep.equal([{file: 'a.ts', line: 1, kind: 'model-id', provider: null, strength: 'weak', detail: 'anthropic/claude-sonnet-4'}])
    const viaAi = evidence('a.ts', "import {generateText} from 'ai'\ngenerateText({model: 'openai/gpt-5'})\n")
    expect(viaAi).to.deep.equal([{file: 'a.ts', line: 2, kind: 'model-id', provider: 'vercel-ai-gateway', strength: 'medium', detail: 'openai/gpt-5'}])
    const importPath = evidence('a.ts', "import x from 'openai/helpers/zod'\n")
    expect(importPath.map((e) => e.kind)).to.deep.equal(['import'])
  })
})
