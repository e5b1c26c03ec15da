/** The scanner against the real built-in catalog (src/secrets/providers/builtin.ts). */
import crypto from 'node:crypto'
import {expect} from 'chai'
import {isPlaceholder, maskPreview} from '../../src/ingest/leaks.js'
import {resolve} from '../../src/ingest/resolver.js'
import {scanProject} from '../../src/ingest/scan.js'
import {loadCatalog} from '../../src/secrets/providers/catalog.js'
import {checkPlantedKeys} from './helpers/planted.js'
import {copyFixture, makeTmp, removeTmp, writeTree} from './helpers/tmp.js'

describe('ingest with the built-in catalog', () => {
  const providers = loadCatalog([]).providers
  const dirs: string[] = []
  afterEach(() => {
    while (dirs.length > 0) removeTmp(dirs.pop()!)
  })

  it('reports a planted key in every non-public format the catalog knows, masked', async () => {
    const formats = providers.flatMap((p) => p.keyFormats.filter((f) => !f.public))
    const planted = await checkPlantedKeys(providers)
    expect(planted).to.equal(formats.length * 4)
  })

  it('a Node app with only `openai` in package.json and `new OpenAI()` requires ai.openai.inference with OPENAI_API_KEY', async () => {
    const dir = copyFixture('node-openai')
    dirs.push(dir)
    const result = resolve(await scanProject({root: dir, providers}), providers)
    const cap = result.apps[0].capabilities.find((c) => c.provider === 'openai')
    expect(cap).to.deep.include({capability: 'ai.openai.inference', confidence: 'required', env: ['OPENAI_API_KEY']})
  })

  it('README and comment mentions are never required; aggregator model ids never require the vendor', async () => {
    for (const app of ['traps', 'monorepo', 'python-anthropic', 'go-app']) {
      const dir = copyFixture(app)
      dirs.push(dir)
      const scan = await scanProject({root: dir, providers})
      const result = resolve(scan, providers)
      for (const a of result.apps) {
        for (const c of a.capabilities) {
          if (c.evidence.every((e) => e.kind === 'mention' || e.kind === 'model-id')) expect(c.confidence, `${app}:${c.provider}`).to.not.equal('required')
        }
      }
      expect(scan.leaks, app).to.deep.equal([])
    }
  })

  it("resolves the env name each SDK reads by default (@ai-sdk/google, LangChain's Google and Cohere wrappers...)", async () => {
    const dir = makeTmp()
    dirs.push(dir)
    const app = (deps: string[], code: string): Record<string, string> => ({
      'package.json': JSON.stringify({name: 'x', dependencies: Object.fromEntries(deps.map((d) => [d, '*']))}),
      'index.ts': code,
    })
    const apps: Record<string, Record<string, string>> = {
      'ai-sdk-google': app(['@ai-sdk/google', 'ai'], "import {google} from '@ai-sdk/google'\nimport {generateText} from 'ai'\nawait generateText({model: google('gemini-2.5-flash'), prompt: 'hi'})\n"),
      'ai-sdk-google-factory': app([], "import {createGoogleGenerativeAI} from '@ai-sdk/google'\nconst google = createGoogleGenerativeAI()\n"),
      'langchain-google': app(['@langchain/google-genai'], "import {ChatGoogleGenerativeAI} from '@langchain/google-genai'\nconst model = new ChatGoogleGenerativeAI({model: 'gemini-2.5-pro'})\n"),
      'google-genai': app(['@google/genai'], "import {GoogleGenAI} from '@google/genai'\nconst ai = new GoogleGenAI({})\n"),
      'ai-sdk-cohere': app(['@ai-sdk/cohere'], "import {cohere} from '@ai-sdk/cohere'\n"),
      'cohere-sdk': app(['cohere-ai'], "import {CohereClientV2} from 'cohere-ai'\nconst co = new CohereClientV2()\n"),
      'ai-sdk-azure': app(['@ai-sdk/azure'], "import {azure} from '@ai-sdk/azure'\n"),
      'ai-sdk-hf': app(['@ai-sdk/huggingface'], "import {huggingface} from '@ai-sdk/huggingface'\n"),
      'py-langchain-cohere': {'requirements.txt': 'langchain-cohere\n', 'app.py': 'from langchain_cohere import ChatCohere\nllm = ChatCohere()\n'},
      // the env read in code wins nothing away: both names are listed (run injects the one key under each)
      'google-both': app(['@ai-sdk/google'], "import {createGoogleGenerativeAI} from '@ai-sdk/google'\nconst g = createGoogleGenerativeAI({apiKey: process.env.GEMINI_API_KEY})\n"),
    }
    for (const [name, files] of Object.entries(apps)) writeTree(dir, Object.fromEntries(Object.entries(files).map(([rel, text]) => [`${name}/${rel}`, text])))
    const resolved = resolve(await scanProject({root: dir, providers}), providers)
    const envs = Object.fromEntries(resolved.apps.map((a) => [a.path, a.capabilities.map((c) => `${c.capability}:${c.confidence}:${c.env.join('+')}`)]))
    expect(envs).to.deep.equal({
      'ai-sdk-google': ['ai.google-gemini.inference:required:GOOGLE_GENERATIVE_AI_API_KEY'],
      'ai-sdk-google-factory': ['ai.google-gemini.inference:required:GOOGLE_GENERATIVE_AI_API_KEY'],
      'langchain-google': ['ai.google-gemini.inference:required:GOOGLE_API_KEY'],
      'google-genai': ['ai.google-gemini.inference:required:GEMINI_API_KEY'],
      'ai-sdk-cohere': ['ai.cohere.inference:required:COHERE_API_KEY'],
      'cohere-sdk': ['ai.cohere.inference:required:CO_API_KEY'],
      'ai-sdk-azure': ['ai.azure-openai.inference:required:AZURE_API_KEY'],
      'ai-sdk-hf': ['ai.huggingface.inference:required:HUGGINGFACE_API_KEY'],
      'py-langchain-cohere': ['ai.cohere.inference:required:COHERE_API_KEY'],
      'google-both': ['ai.google-gemini.inference:required:GEMINI_API_KEY+GOOGLE_GENERATIVE_AI_API_KEY'],
    })
  })

  it("an import of only Azure classes from openai (or of AnthropicBedrock from anthropic) is not OpenAI's (Anthropic's)", async () => {
    const dir = makeTmp()
    dirs.push(dir)
    const apps: Record<string, [string, string]> = {
      'py-azure': ['app.py', 'from openai import AzureOpenAI\nclient = AzureOpenAI()\n'],
      'py-azure-parens': ['app.py', 'from openai import (\n    AzureOpenAI,  # the Azure deployment\n    APIError,\n)\n'],
      'py-langchain-azure': ['app.py', 'from langchain_openai import AzureChatOpenAI\n'],
      'py-bedrock': ['app.py', 'from anthropic import AnthropicBedrock\nclient = AnthropicBedrock()\n'],
      'ts-azure': ['index.ts', 'import { AzureOpenAI } from "openai"\nconst c = new AzureOpenAI()\n'],
      'ts-azure-type': ['index.ts', 'import {\n  type ChatCompletion,\n  AzureOpenAI as Client,\n} from "openai"\n'],
      'js-azure-require': ['index.js', "const { AzureOpenAI } = require('openai')\n"],
      'ts-both': ['index.ts', 'import OpenAI, { AzureOpenAI } from "openai"\n'],
      'ts-types-only': ['index.ts', 'import type { ChatCompletion } from "openai/resources"\n'],
      'py-both': ['app.py', 'from openai import AzureOpenAI, OpenAI\n'],
    }
    for (const [name, [file, code]] of Object.entries(apps)) writeTree(dir, {[`${name}/package.json`]: '{}', [`${name}/${file}`]: code})
    // the openai package declared but imported only for Azure: explained, so only mentioned; declared and unused: likely
    writeTree(dir, {
      'declared-azure/package.json': '{"dependencies": {"openai": "^4"}}', 'declared-azure/index.ts': 'import { AzureOpenAI } from "openai"\n',
      'declared-azure-py/requirements.txt': 'openai\n', 'declared-azure-py/app.py': 'from openai import AzureOpenAI\n',
      'declared-unused/package.json': '{"dependencies": {"openai": "^4"}}', 'declared-unused/index.ts': 'export {}\n',
    })
    const resolved = resolve(await scanProject({root: dir, providers}), providers)
    const caps = Object.fromEntries(resolved.apps.map((a) => [a.path, a.capabilities.map((c) => `${c.capability}:${c.confidence}`)]))
    expect(caps).to.deep.equal({
      'py-azure': ['ai.azure-openai.inference:required'],
      'py-azure-parens': ['ai.azure-openai.inference:required'],
      'py-langchain-azure': ['ai.azure-openai.inference:required'],
      'py-bedrock': ['ai.aws.bedrock:required'],
      'ts-azure': ['ai.azure-openai.inference:required'],
      'ts-azure-type': ['ai.azure-openai.inference:required'],
      'js-azure-require': ['ai.azure-openai.inference:required'],
      'ts-both': ['ai.azure-openai.inference:required', 'ai.openai.inference:required'],
      'ts-types-only': ['ai.openai.inference:required'],
      'py-both': ['ai.azure-openai.inference:required', 'ai.openai.inference:required'],
      'declared-azure': ['ai.azure-openai.inference:required', 'ai.openai.inference:mentioned'],
      'declared-azure-py': ['ai.azure-openai.inference:required', 'ai.openai.inference:mentioned'],
      'declared-unused': ['ai.openai.inference:likely'],
    })
  })

  it('detects the Go Stripe SDK at any major version, and without one', async () => {
    const dir = makeTmp()
    dirs.push(dir)
    writeTree(dir, {
      'go.mod': 'module example.com/shop\n\ngo 1.22\n\nrequire github.com/stripe/stripe-go/v79 v79.0.0\n',
      'main.go': 'package main\n\nimport (\n\t"github.com/stripe/stripe-go/v79"\n\t"github.com/stripe/stripe-go/v79/customer"\n)\n',
      'legacy/go.mod': 'module example.com/legacy\n\nrequire github.com/stripe/stripe-go v70.15.0+incompatible\n',
      'legacy/main.go': 'package main\n\nimport "github.com/stripe/stripe-go"\n',
    })
    const scan = await scanProject({root: dir, providers})
    expect(scan.evidence.filter((e) => e.provider === 'stripe').map((e) => `${e.file}:${e.line}:${e.kind}`)).to.deep.equal([
      'go.mod:5:manifest-dependency', 'legacy/go.mod:3:manifest-dependency', 'legacy/main.go:3:import', 'main.go:4:import', 'main.go:5:import',
    ])
    const apps = resolve(scan, providers).apps.map((a) => [a.path, a.capabilities.map((c) => `${c.capability}:${c.confidence}`)])
    expect(apps).to.deep.equal([['.', ['payments.stripe.api:required']], ['legacy', ['payments.stripe.api:required']]])
  })

  describe('keys with no format of their own (Mistral, Cohere, the AWS secret key...), found by assignment', () => {
    const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    /** A random key (letters and digits, both present), never a placeholder by chance. */
    const key = (length: number, alphabet = ALNUM): string => {
      for (;;) {
        const value = [...crypto.randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('')
        if (/[0-9]/.test(value) && /[A-Za-z]/.test(value) && !isPlaceholder(value)) return value
      }
    }

    it('reports values assigned to their env names in .env, YAML, shell, docs and code, masked', async () => {
      const dir = makeTmp()
      dirs.push(dir)
      const mistral = key(32)
      const cohere = key(40)
      const cohere2 = key(40)
      const aws = key(40, `${ALNUM}+/`)
      const files: Record<string, string> = {
        '.env': `# keys\nMISTRAL_API_KEY=${mistral}\nCO_API_KEY=${cohere}\nexport COHERE_API_KEY="${cohere2}"\nAWS_SECRET_ACCESS_KEY=${aws}\n`,
        'compose.yaml': `services:\n  app:\n    environment:\n      MISTRAL_API_KEY: ${mistral}\n      - CO_API_KEY=${cohere}\n`,
        'settings.py': `import os\nos.environ["MISTRAL_API_KEY"] = "${mistral}"\nkey = os.getenv("CO_API_KEY", '${cohere}')\nclass S:\n    mistral_api_key: str = "${mistral}"\n`,
        'config.ts': `export const env = {\n  CO_API_KEY: '${cohere}',\n  "MISTRAL_API_KEY": \`${mistral}\`,\n}\nprocess.env.MY_MISTRAL_API_KEY = '${mistral}'\n`,
        'README.md': `Run with \`MISTRAL_API_KEY=${mistral} npm start\`.\n`,
      }
      writeTree(dir, files)
      const scan = await scanProject({root: dir, providers})
      const found = scan.leaks.map((l) => `${l.file}:${l.line}:${l.rule}:${l.provider}`)
      expect(found).to.deep.equal([
        '.env:2:env-assignment:mistral', '.env:3:env-assignment:cohere', '.env:4:env-assignment:cohere', '.env:5:env-assignment:aws',
        'README.md:1:env-assignment:mistral',
        'compose.yaml:4:env-assignment:mistral', 'compose.yaml:5:env-assignment:cohere',
        'config.ts:2:env-assignment:cohere', 'config.ts:3:env-assignment:mistral', 'config.ts:5:env-assignment:mistral',
        'settings.py:2:env-assignment:mistral', 'settings.py:3:env-assignment:cohere', 'settings.py:5:env-assignment:mistral',
      ])
      const previews = new Set([mistral, cohere, cohere2, aws].map(maskPreview))
      for (const leak of scan.leaks) expect(previews.has(leak.preview), leak.preview).to.equal(true)
      const json = JSON.stringify(scan)
      for (const value of [mistral, cohere, cohere2, aws]) expect(json).to.not.include(value)
    })

    it('leaves alone placeholders, references, code identifiers, other names and values that matched a format', async () => {
      const dir = makeTmp()
      dirs.push(dir)
      const mistral = key(32)
      const anthropic = `sk-ant-api03-${key(93, `${ALNUM}_-`)}AA`
      writeTree(dir, {
        '.env.example': 'MISTRAL_API_KEY=your-mistral-api-key-here\nCO_API_KEY=\nCOHERE_API_KEY=${COHERE_API_KEY}\nAZURE_API_KEY=<azure key>\n',
        '.env': `MISTRAL_API_KEY=MISTRAL_API_KEY_FROM_VAULT_2\nCO_API_KEY=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1\nDECO_API_KEY=${key(40)}\nCO_API_KEY_FILE=/run/secrets/co_api_key_2024\nMISTRAL_API_KEY=short1\nAZURE_OPENAI_API_KEY=${anthropic}\n`,
        'app.py': `MISTRAL_API_KEY = os.environ["MISTRAL_KEY_V2"]\nCO_API_KEY = settings.cohere_key_2024_prod\nif MISTRAL_API_KEY == "${mistral}": pass\n`,
        'app.ts': 'const MISTRAL_API_KEY = process.env.MISTRAL_API_KEY_PROD2\nconst CO_API_KEY = loadKeyFromVault2024Prod()\nconst keys = [CO_API_KEY, AnotherValue12345678901234]\n',
      })
      const scan = await scanProject({root: dir, providers})
      // the Anthropic key assigned to an Azure name is reported once, by its own format
      expect(scan.leaks.map((l) => `${l.file}:${l.line}:${l.rule}`)).to.deep.equal(['.env:6:anthropic-api-key'])
    })

    it('reports a stored value once, as vault-secret', async () => {
      const dir = makeTmp()
      dirs.push(dir)
      const mistral = key(32)
      writeTree(dir, {'.env': `MISTRAL_API_KEY=${mistral}\n`})
      const scan = await scanProject({root: dir, providers, knownValues: [{value: mistral, label: 'mistral:MISTRAL_API_KEY'}]})
      expect(scan.leaks.map((l) => `${l.line}:${l.rule}:${l.provider}`)).to.deep.equal(['1:vault-secret:mistral:MISTRAL_API_KEY'])
    })
  })

  it('placeholders and public values are not leaks', async () => {
    const dir = makeTmp()
    dirs.push(dir)
    writeTree(dir, {
      '.env.example': 'OPENAI_API_KEY=sk-proj-...\nDATABASE_URL=postgres://user:password@localhost:5432/app\nSTRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx\n',
      'src/db.ts': "const url = 'postgres://localhost/app'\nconst other = 'postgresql://postgres:postgres@db:5432/x'\n",
      'README.md': 'Use `ANTHROPIC_API_KEY=sk-ant-api03-...` and `AKIAIOSFODNN7EXAMPLE`. Ask for a task-force on risk-analysis.\n',
    })
    const scan = await scanProject({root: dir, providers})
    expect(scan.leaks).to.deep.equal([])
  })
})
