/**
 * An SDK that reads its key from its own env name gets it there, end to end on the built binary
 * (`npm run build` first): bind an app on `@ai-sdk/google` (GOOGLE_GENERATIVE_AI_API_KEY) and one on
 * `@langchain/google-genai` (GOOGLE_API_KEY), approve, run a child that looks for the key under the
 * name its SDK reads. The key is stored once, under the catalog's primary name GEMINI_API_KEY.
 */
import {createHash, randomBytes} from 'node:crypto'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {type CliHome, type CliOptions, type CliResult, assertNoCanary, explain, hasStackTrace, initVault, makeHome, runCli, unlock} from '../helpers/cli.js'

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** Records a hash of each Google env name's value in the marker file (never the key itself). */
const CHILD = `const names = ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_GENERATIVE_AI_API_KEY']
require('node:fs').writeFileSync(process.argv[1], JSON.stringify(Object.fromEntries(names.map((n) => [n,
  process.env[n] === undefined ? null : require('node:crypto').createHash('sha256').update(process.env[n]).digest('hex')]))))`

/** A random key in Google's API key format (AIza + 35), not a placeholder by chance. */
function googleKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'
  return `AIza${[...randomBytes(35)].map((b) => alphabet[b % alphabet.length]).join('')}`
}

describe('resolve and run: the env name an SDK reads', function () {
  this.timeout(180_000)
  let home: CliHome
  let token: string
  let passphrase: string
  let key: string

  async function cv(args: string[], code: number, options: CliOptions = {}): Promise<CliResult> {
    const result = await runCli(args, {home, timeoutMs: 60_000, ...options, env: {CODEX_VAULT_SESSION: token, ...options.env}})
    expect(result.timedOut, explain(result)).to.equal(false)
    expect(result.code, `${args.join(' ')}\n${explain(result)}`).to.equal(code)
    expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
    assertNoCanary(result.stdout + result.stderr, [key, token, passphrase])
    return result
  }

  before(async () => {
    home = makeHome('cv-e2e-sdk-env-')
    passphrase = await initVault(home)
    token = await unlock(home, passphrase)
    key = googleKey()
    await cv(['secret', 'set', 'google-gemini'], 0, {input: `${key}\n`})
  })

  after(() => home?.cleanup())

  const apps: [name: string, sdk: string, code: string, reads: string][] = [
    ['vercel', '@ai-sdk/google', "import {google} from '@ai-sdk/google'\nexport const model = google('gemini-2.5-flash')\n", 'GOOGLE_GENERATIVE_AI_API_KEY'],
    ['langchain', '@langchain/google-genai', "import {ChatGoogleGenerativeAI} from '@langchain/google-genai'\nexport const chat = new ChatGoogleGenerativeAI({model: 'gemini-2.5-pro'})\n", 'GOOGLE_API_KEY'],
  ]

  for (const [name, sdk, code, reads] of apps) {
    it(`an app on ${sdk} gets the key in ${reads}`, async () => {
      const dir = join(home.dir, name)
      mkdirSync(dir)
      writeFileSync(join(dir, 'package.json'), JSON.stringify({name, dependencies: {[sdk]: '*'}}))
      writeFileSync(join(dir, 'index.ts'), code)

      const resolved = JSON.parse((await cv(['resolve', dir, '--json'], 0)).stdout).result
      expect(resolved.apps[0].capabilities.map((c: {capability: string; confidence: string; env: string[]}) => [c.capability, c.confidence, c.env])).to.deep.equal([
        ['ai.google-gemini.inference', 'required', [reads]],
      ])
      await cv(['bind', dir, '--name', name], 0)
      await cv(['grant', 'approve', '--asset', name, '--capability', 'ai.google-gemini.inference', '--ttl', '1h'], 0)
      const marker = join(home.dir, `${name}.json`)
      await cv(['run', '--asset', name, '--', process.execPath, '-e', CHILD, marker], 0)
      const seen = JSON.parse(readFileSync(marker, 'utf8'))
      expect(seen[reads], `${reads} in the child`).to.equal(sha256(key))
      // the stored name is injected as ever
      expect(seen.GEMINI_API_KEY).to.equal(sha256(key))
    })
  }
})
