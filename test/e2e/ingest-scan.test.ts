/**
 * scan and resolve end to end on the built binary (`npx tsc -b` first), without a vault or a
 * session (built-in catalog): the resolve --json contract, confidence rules, hard-coded key
 * detection (keys generated here, never committed), --fail-on-leak, monorepos, and bad input
 * (missing path, a file, symlink loops, binary files, a 50 MB line, a FIFO).
 */
import {randomBytes} from 'node:crypto'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {expect} from 'chai'

import {type CliHome, type CliResult, assertNoCanary, explain, hasStackTrace, makeHome, runCli} from '../helpers/cli.js'
import {isPlaceholder} from '../../src/ingest/leaks.js'

function writeTree(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = join(dir, rel)
    mkdirSync(dirname(abs), {recursive: true})
    writeFileSync(abs, content)
  }
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

function randomFrom(alphabet: string, length: number): string {
  const bytes = randomBytes(length)
  let out = ''
  for (const byte of bytes) out += alphabet[byte % alphabet.length]
  return out
}

/** A fresh Anthropic-format key that the scanner must not mistake for a placeholder (e.g. "…todo…" by chance). */
function plantedAnthropicKey(): string {
  for (;;) {
    const key = `sk-ant-api03-${randomFrom(B64URL, 93)}AA`
    if (!isPlaceholder(key)) return key
  }
}

/** The README/comment-only providers and the one the code really uses. */
const SMALL_APP = {
  'package.json': '{\n  "name": "shop",\n  "version": "1.0.0",\n  "dependencies": {\n    "openai": "^4.0.0"\n  }\n}\n',
  'index.js': "import OpenAI from 'openai'\n\n// later we could try anthropic instead\nconst client = new OpenAI()\nexport default client\n",
  'README.md': '# shop\n\nPayments may go through Stripe one day.\n',
}

describe('scan and resolve end to end (no vault, no session)', function () {
  this.timeout(120_000)
  let home: CliHome
  let work: string

  before(() => {
    home = makeHome('cv-e2e-ingest-')
    work = mkdtempSync(join(tmpdir(), 'cv-e2e-ingest-apps-'))
  })

  after(() => {
    home?.cleanup()
    rmSync(work, {recursive: true, force: true})
  })

  function appDir(name: string, files: Record<string, string | Buffer>): string {
    const dir = join(work, name)
    mkdirSync(dir, {recursive: true})
    writeTree(dir, files)
    return dir
  }

  async function cli(args: string[], code: number, secrets: string[] = [], timeoutMs = 30_000): Promise<CliResult> {
    const result = await runCli(args, {home, timeoutMs})
    expect(result.timedOut, explain(result)).to.equal(false)
    expect(result.code, `${args.join(' ')}\n${explain(result)}`).to.equal(code)
    expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
    assertNoCanary(result.stdout + result.stderr, secrets)
    return result
  }

  it('scans and resolves a small Node app before any vault exists, with the exact resolve --json shape', async () => {
    const app = appDir('small', SMALL_APP)
    const timings: number[] = []
    const text = await cli(['scan', app], 0)
    timings.push(text.ms)
    expect(text.stdout).to.match(/^openai$/m)
    expect(text.stdout).to.match(/index\.js:1 {2}import/)
    expect(text.stdout).to.match(/index\.js:4 {2}sdk-constructor {2}OPENAI_API_KEY/)
    expect(text.stdout).to.include('built-in providers only')
    expect(text.stdout).to.match(/0 leak\(s\)/)

    const scan = await cli(['scan', app, '--json'], 0)
    timings.push(scan.ms)
    const scanJson = JSON.parse(scan.stdout)
    expect(scanJson.status).to.equal(0)
    expect(scanJson.result).to.include.keys('evidence', 'leaks')
    expect(scanJson.result.leaks).to.deep.equal([])
    const openaiEvidence = scanJson.result.evidence.filter((e: {provider: string}) => e.provider === 'openai')
    expect(openaiEvidence.map((e: {file: string; line: number; kind: string; strength: string}) => `${e.file}:${e.line}:${e.kind}:${e.strength}`)).to.have.members([
      'index.js:1:import:strong', 'index.js:4:sdk-constructor:strong', 'package.json:5:manifest-dependency:medium',
    ])
    for (const e of scanJson.result.evidence) expect(e.file, 'evidence paths are relative to the scan root').to.not.match(/^\//)

    const resolved = await cli(['resolve', app, '--json'], 0)
    timings.push(resolved.ms)
    expect(JSON.parse(resolved.stdout).result).to.deep.equal({
      apps: [{
        path: '.',
        name: 'shop',
        capabilities: [
          {capability: 'ai.anthropic.inference', provider: 'anthropic', confidence: 'mentioned', env: ['ANTHROPIC_API_KEY'], evidence: [{file: 'index.js', line: 3, kind: 'mention'}]},
          {capability: 'ai.openai.inference', provider: 'openai', confidence: 'required', env: ['OPENAI_API_KEY'], evidence: [
            {file: 'index.js', line: 1, kind: 'import'},
            {file: 'index.js', line: 4, kind: 'sdk-constructor'},
            {file: 'package.json', line: 5, kind: 'manifest-dependency'},
          ]},
          {capability: 'payments.stripe.api', provider: 'stripe', confidence: 'mentioned', env: ['STRIPE_SECRET_KEY'], evidence: [{file: 'README.md', line: 3, kind: 'mention'}]},
        ],
      }],
      leaks: [],
    })

    const human = await cli(['resolve', app], 0)
    expect(human.stdout).to.match(/ai\.openai\.inference {2}required {2}env OPENAI_API_KEY/)
    expect(human.stdout).to.match(/payments\.stripe\.api {2}mentioned/)

    // scan/resolve never create a vault or session files
    expect(existsSync(home.vault), 'scan created a vault').to.equal(false)
    expect(existsSync(home.runtimeDir), 'scan created session state').to.equal(false)
    console.log(`      scan/resolve of a 3-file app via the CLI: ${timings.join(' ms, ')} ms (process spawn to exit)`)
  })

  it('a successful scan writes nothing but progress to stderr, whatever NODE_ENV says', async () => {
    const app = appDir('node-env', SMALL_APP)
    for (const NODE_ENV of ['development', 'test']) {
      const result = await runCli(['scan', app, '--json'], {home, env: {NODE_ENV}})
      expect(result.code, explain(result)).to.equal(0)
      expect(result.stderr).to.not.include('Warning')
    }
  })

  it('never calls a provider named only in docs or comments "required"', async () => {
    const app = appDir('docs-only', {
      'package.json': '{"name": "docs-only", "dependencies": {}}\n',
      'README.md': '# docs-only\n\nSet OPENAI_API_KEY and use the Anthropic SDK or Stripe.\n',
      'docs/guide.md': 'Call `new OpenAI()` and `new Stripe(process.env.STRIPE_SECRET_KEY)` like this.\n',
      'src/main.js': "// import OpenAI from 'openai'\n/* new Anthropic() was removed */\nexport const x = 1\n",
      // code in a docstring, a string literal and a block comment's bare lines is text too
      'src/helper.py': 'def helper():\n    """Example:\n\n    from anthropic import Anthropic\n    client = Anthropic()\n    """\n    return 1\n',
      'src/help.js': 'export const help = "call new Stripe(key) in your server"\n/*\n  import Groq from "groq-sdk"\n*/\n',
    })
    const result = JSON.parse((await cli(['resolve', app, '--json'], 0)).stdout).result
    const all = result.apps.flatMap((a: {capabilities: {capability: string; confidence: string}[]}) => a.capabilities)
    expect(all.length, 'docs mentions are still reported').to.be.greaterThan(0)
    for (const item of all) expect(item.confidence, `${item.capability} from docs/comments`).to.not.equal('required')
    const confidence = Object.fromEntries(all.map((c: {capability: string; confidence: string}) => [c.capability, c.confidence]))
    expect(confidence).to.deep.include({'ai.anthropic.inference': 'mentioned', 'payments.stripe.api': 'mentioned', 'ai.groq.inference': 'mentioned'})
  })

  it('reports a planted key masked, exits 11 with --fail-on-leak, and ignores placeholders and publishable keys', async () => {
    const key = plantedAnthropicKey()
    expect(key).to.have.length(108)
    const leaky = appDir('leaky', {
      'package.json': '{"name": "leaky"}\n',
      'config.js': `// settings\n\nexport const anthropicKey = '${key}'\n`,
    })
    const preview = `${key.slice(0, 8)}…(108)`
    const expectedLeak = {file: 'config.js', line: 3, rule: 'anthropic-api-key', provider: 'anthropic', preview}

    const failing = await cli(['scan', leaky, '--fail-on-leak'], 11, [key])
    expect(failing.stdout).to.include(`config.js:3  anthropic-api-key (anthropic)  ${preview}`)
    expect(failing.stderr).to.match(/^codex-vault: 1 hard-coded secret\(s\) found/m)
    const failingJson = await cli(['scan', leaky, '--fail-on-leak', '--json'], 11, [key])
    expect(JSON.parse(failingJson.stdout)).to.deep.include({status: 11})
    expect(JSON.parse(failingJson.stdout).error.code).to.equal('LEAK_FOUND')

    const plain = JSON.parse((await cli(['scan', leaky, '--json'], 0, [key])).stdout).result
    expect(plain.leaks).to.deep.equal([expectedLeak])
    const preview8 = plain.leaks[0].preview as string
    expect(preview8).to.match(/^.{0,8}…\(108\)$/)
    const resolved = JSON.parse((await cli(['resolve', leaky, '--json'], 0, [key])).stdout).result
    expect(resolved.leaks).to.deep.equal([expectedLeak])

    const clean = appDir('placeholders', {
      'package.json': '{"name": "placeholders"}\n',
      'config.js': [
        "export const a = 'sk-...'",
        "export const b = 'your-key-here'",
        'export const c = \'${OPENAI_API_KEY}\'',
        `export const stripePublishable = 'pk_live_${randomFrom(ALNUM, 24)}'`,
        "export const d = 'sk-ant-api03-...'",
        '',
      ].join('\n'),
      '.env.example': 'OPENAI_API_KEY=sk-...\nANTHROPIC_API_KEY=your-key-here\nSTRIPE_SECRET_KEY=${STRIPE_SECRET_KEY}\n',
    })
    const ok = await cli(['scan', clean, '--fail-on-leak', '--json'], 0)
    expect(JSON.parse(ok.stdout).result.leaks).to.deep.equal([])
  })

  it('resolves env names destructured from process.env, over one line or several', async () => {
    const app = appDir('destructured', {
      'package.json': '{"name": "destructured"}\n',
      'src/config.ts': 'const { ANTHROPIC_API_KEY } = process.env;\nconst { OPENAI_API_KEY: key } = process.env\nconst {\n  GROQ_API_KEY,\n  PORT = 3000,\n} = process.env\n',
    })
    const {apps} = JSON.parse((await cli(['resolve', app, '--json'], 0)).stdout).result
    expect(apps[0].capabilities.map((c: {capability: string; confidence: string; env: string[]; evidence: {line: number}[]}) => [c.capability, c.confidence, c.env, c.evidence.map((e) => e.line)])).to.deep.equal([
      ['ai.anthropic.inference', 'required', ['ANTHROPIC_API_KEY'], [1]],
      ['ai.groq.inference', 'required', ['GROQ_API_KEY'], [4]],
      ['ai.openai.inference', 'required', ['OPENAI_API_KEY'], [2]],
    ])
  })

  it('an app that imports only AzureOpenAI from openai needs Azure OpenAI, not OpenAI', async () => {
    const app = appDir('azure-only', {
      'requirements.txt': 'openai>=1\n',
      'app.py': 'from openai import AzureOpenAI\nclient = AzureOpenAI()\n',
      'web/package.json': '{"name": "web", "dependencies": {"openai": "^4"}}\n',
      'web/index.ts': 'import { AzureOpenAI } from "openai"\nexport const client = new AzureOpenAI()\n',
    })
    const {apps} = JSON.parse((await cli(['resolve', app, '--json'], 0)).stdout).result
    const caps = apps.map((a: {path: string; capabilities: {capability: string; confidence: string}[]}) => [a.path, a.capabilities.map((c) => `${c.capability}:${c.confidence}`)])
    // the openai package is declared, but its only imports are Azure's: OpenAI is merely mentioned (not injected by default)
    expect(caps).to.deep.equal([
      ['.', ['ai.azure-openai.inference:required', 'ai.openai.inference:mentioned']],
      ['web', ['ai.azure-openai.inference:required', 'ai.openai.inference:mentioned']],
    ])
  })

  it('reports Mistral and Cohere keys in .env by the name they are assigned to, masked, and fails on them', async () => {
    const withDigit = (length: number): string => {
      for (;;) {
        const value = randomFrom(ALNUM, length)
        if (/[0-9]/.test(value) && /[A-Za-z]/.test(value) && !isPlaceholder(value)) return value
      }
    }
    const mistral = withDigit(32)
    const cohere = withDigit(40)
    const app = appDir('no-prefix-keys', {
      'package.json': '{"name": "no-prefix-keys", "dependencies": {"@mistralai/mistralai": "1", "cohere-ai": "7"}}\n',
      '.env': `MISTRAL_API_KEY=${mistral}\nCO_API_KEY=${cohere}\n`,
      '.env.example': 'MISTRAL_API_KEY=your-key-here\nCO_API_KEY=\n',
    })
    const failing = await cli(['scan', app, '--fail-on-leak'], 11, [mistral, cohere])
    // prefix-less keys: their first characters are key material, so only the length shows
    expect(failing.stdout).to.include('.env:1  env-assignment (mistral)  …(32)')
    expect(failing.stdout).to.include('.env:2  env-assignment (cohere)  …(40)')
    expect(failing.stdout).to.not.include(mistral.slice(0, 6))
    expect(failing.stderr).to.match(/^codex-vault: 2 hard-coded secret\(s\) found/m)
    const {leaks} = JSON.parse((await cli(['resolve', app, '--json'], 0, [mistral, cohere])).stdout).result
    expect(leaks).to.deep.equal([
      {file: '.env', line: 1, rule: 'env-assignment', provider: 'mistral', preview: '…(32)'},
      {file: '.env', line: 2, rule: 'env-assignment', provider: 'cohere', preview: '…(40)'},
    ])
  })

  it('checks a file git tracks although .gitignore lists it (git add -f): it is in every clone', async function () {
    try {
      execFileSync('git', ['--version'], {stdio: 'ignore'})
    } catch {
      this.skip() // no git on this machine: nothing can be tracked
    }
    const key = `sk-ant-api03-${randomFrom(B64URL, 93)}AA`
    const app = appDir('tracked-ignored', {
      '.gitignore': 'dist/\ngenerated/\n',
      'dist/bundle.js': `var k = "${key}";\n`,
      'generated/local.js': `var k = "${key}";\n`,
    })
    const git = (...args: string[]) => execFileSync('git', ['-C', app, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {stdio: 'ignore'})
    git('init', '-q')
    git('add', '-f', '.gitignore', 'dist/bundle.js')
    git('commit', '-q', '-m', 'build output committed by mistake')
    const {leaks} = JSON.parse((await cli(['scan', app, '--json'], 0, [key])).stdout).result
    // the tracked file is reported; the ignored, untracked copy stays out, as .gitignore says
    expect(leaks.map((leak: {file: string}) => leak.file)).to.deep.equal(['dist/bundle.js'])
  })

  it('checks committed build output for leaks, lists what it could not read, and says so with --fail-on-leak', async () => {
    const bundled = plantedAnthropicKey()
    const buried = plantedAnthropicKey()
    const ignored = plantedAnthropicKey()
    const keys = [bundled, buried, ignored]
    const big = `${'// padding\n'.repeat(300_000)}export const k = '${buried}'\n`
    const app = appDir('skips', {
      'package.json': '{"name": "skips", "dependencies": {"openai": "4"}}\n',
      'src/index.js': "import OpenAI from 'openai'\nexport const c = new OpenAI()\n",
      'dist/bundle.js': `import OpenAI from 'openai';new OpenAI();const k='${bundled}'\n`,
      'big.js': big,
      'data.js': Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(`'${buried}'`)]),
      'pkg/.gitignore': 'dist/\n',
      'pkg/dist/out.js': `const k = '${ignored}'\n`,
    })
    const preview = (key: string): string => `${key.slice(0, 8)}…(108)`

    const text = await cli(['scan', app, '--fail-on-leak'], 11, keys)
    expect(text.stdout).to.include(`LEAK dist/bundle.js:1  anthropic-api-key (anthropic)  ${preview(bundled)}`)
    expect(text.stdout).to.not.include('pkg/dist')
    expect(text.stdout).to.match(/^not scanned: 2 \(1 too large, 1 binary\)$/m)
    expect(text.stdout).to.match(/SKIP big\.js {2}too large \(3\.\d MiB\)/)
    expect(text.stdout).to.match(/SKIP data\.js {2}binary/)
    expect(text.stdout).to.match(/^4 files \(1 checked for leaks only: build output, minified\),/m)
    expect(text.stderr).to.include('codex-vault: warning: --fail-on-leak: 2 file(s) that could hold a hard-coded secret were not checked: '
      + '1 over the 2 MiB size limit (raise it with --max-file-size); 1 binary (never searched): big.js, data.js')
    expect(text.stderr).to.match(/^codex-vault: 1 hard-coded secret\(s\) found/m)

    const failing = JSON.parse((await cli(['scan', app, '--fail-on-leak', '--json'], 11, keys)).stdout)
    expect(failing.warnings).to.have.length(1)
    expect(failing.warnings[0]).to.match(/^--fail-on-leak: 2 file\(s\) that could hold a hard-coded secret were not checked/)

    const {stats, evidence} = JSON.parse((await cli(['scan', app, '--json'], 0, keys)).stdout).result
    expect(stats).to.deep.include({files: 4, leakOnly: 1, skipped: 2, skippedByReason: {'too-large': 1, binary: 1}})
    expect(stats.skippedList).to.deep.equal([{file: 'big.js', reason: 'too-large', detail: `${big.length} bytes`}, {file: 'data.js', reason: 'binary'}])
    expect(evidence.filter((e: {file: string}) => e.file.startsWith('dist/'))).to.deep.equal([])

    // a bigger limit reads big.js: its key is found, and only the binary file is left to warn about
    const bigger = await cli(['scan', app, '--fail-on-leak', '--max-file-size', '4M'], 11, keys)
    expect(bigger.stdout).to.include(`LEAK big.js:300001  anthropic-api-key (anthropic)  ${preview(buried)}`)
    expect(bigger.stderr).to.include('--fail-on-leak: 1 file(s) that could hold a hard-coded secret were not checked: 1 binary (never searched): data.js')

    // no leak found, files unread: still exit 0, with the warning (resolve too)
    const clean = appDir('skips-clean', {'package.json': '{"name": "c"}\n', 'big.txt': 'x'.repeat(3 * 1024 * 1024)})
    const passing = await cli(['scan', clean, '--fail-on-leak'], 0)
    expect(passing.stderr).to.include('--fail-on-leak: 1 file(s) that could hold a hard-coded secret were not checked: 1 over the 2 MiB size limit')
    const resolved = await cli(['resolve', clean, '--fail-on-leak'], 0)
    expect(resolved.stderr).to.include('--fail-on-leak: 1 file(s) that could hold a hard-coded secret were not checked')
    expect((await cli(['scan', clean], 0)).stderr).to.not.include('warning')
    expect((await cli(['scan', clean, '--max-file-size', 'huge'], 2)).stderr).to.match(/^codex-vault: --max-file-size: "huge" is not a size/m)
  })

  it('splits a monorepo into its apps, each with its own capability', async () => {
    const repo = appDir('mono', {
      'package.json': '{\n  "name": "mono",\n  "private": true,\n  "workspaces": ["apps/*"]\n}\n',
      'apps/web/package.json': '{\n  "name": "web",\n  "dependencies": {"openai": "^4.0.0"}\n}\n',
      'apps/web/src/ai.js': "import OpenAI from 'openai'\nexport const client = new OpenAI()\n",
      'apps/api/package.json': '{\n  "name": "api",\n  "dependencies": {"stripe": "^14.0.0"}\n}\n',
      'apps/api/src/pay.js': "import Stripe from 'stripe'\nexport const stripe = new Stripe(process.env.STRIPE_SECRET_KEY)\n",
    })
    const {apps} = JSON.parse((await cli(['resolve', repo, '--json'], 0)).stdout).result
    expect(apps.map((a: {path: string}) => a.path)).to.deep.equal(['apps/api', 'apps/web'])
    const [api, web] = apps
    expect(api.name).to.equal('api')
    expect(api.capabilities.map((c: {capability: string; confidence: string; env: string[]}) => [c.capability, c.confidence, c.env])).to.deep.equal([
      ['payments.stripe.api', 'required', ['STRIPE_SECRET_KEY']],
    ])
    expect(web.name).to.equal('web')
    expect(web.capabilities.map((c: {capability: string; confidence: string; env: string[]}) => [c.capability, c.confidence, c.env])).to.deep.equal([
      ['ai.openai.inference', 'required', ['OPENAI_API_KEY']],
    ])
    for (const e of api.capabilities[0].evidence) expect(e.file).to.match(/^apps\/api\//)
    for (const e of web.capabilities[0].evidence) expect(e.file).to.match(/^apps\/web\//)
    const human = await cli(['resolve', repo], 0)
    expect(human.stdout).to.match(/^apps\/api \(api\)$/m)
    expect(human.stdout).to.match(/^apps\/web \(web\)$/m)
  })

  it('refuses a missing path or a file with exit 2 and a message', async () => {
    const missing = join(work, 'does-not-exist')
    for (const command of ['scan', 'resolve']) {
      const result = await cli([command, missing], 2)
      expect(result.stderr).to.match(/^codex-vault: .*no such folder/m)
      expect(result.stderr).to.include(missing)
    }
    const json = JSON.parse((await cli(['scan', missing, '--json'], 2)).stdout)
    expect(json).to.deep.include({status: 2})
    expect(json.error.code).to.equal('INVALID_INPUT')
    const app = appDir('a-file', {'index.js': 'export const x = 1\n'})
    const file = await cli(['scan', join(app, 'index.js')], 2)
    expect(file.stderr).to.match(/^codex-vault: .*not a folder/m)
  })

  it('survives symlink loops, a binary x.js, a 50 MB one-line file and a FIFO named y.js without hanging', async function () {
    if (process.platform === 'win32') this.skip()
    const app = appDir('hostile', {
      'package.json': '{"name": "hostile", "dependencies": {"openai": "^4"}}\n',
      'src/index.js': "import OpenAI from 'openai'\nconst c = new OpenAI()\n",
      'x.js': Buffer.concat([Buffer.from("import OpenAI from 'openai'\n"), Buffer.from([0, 1, 2, 0xff, 0xfe, 0]), randomBytes(64 * 1024)]),
    })
    mkdirSync(join(app, 'sub', 'deeper'), {recursive: true})
    symlinkSync('..', join(app, 'sub', 'deeper', 'up'))
    symlinkSync(join(app, 'sub'), join(app, 'sub', 'deeper', 'abs-loop'))
    symlinkSync('self', join(app, 'self'))
    // one line, 50 MB: a naive line splitter or regex would crawl; it also starts like a key
    const big = Buffer.alloc(50 * 1024 * 1024, 'a')
    big.write("const k = 'sk-ant-api03-", 0)
    writeFileSync(join(app, 'big.js'), big)
    execFileSync('mkfifo', [join(app, 'y.js')])

    const result = await cli(['scan', app, '--json', '--fail-on-leak'], 0, [], 30_000)
    expect(result.ms, 'scan of a hostile tree took too long').to.be.below(30_000)
    const {evidence, leaks, stats} = JSON.parse(result.stdout).result
    const seen = evidence.map((e: {file: string; line: number; kind: string}) => `${e.file}:${e.line}:${e.kind}`)
    expect(seen).to.include('src/index.js:2:sdk-constructor')
    expect(seen.filter((s: string) => s.startsWith('x.js') || s.startsWith('big.js') || s.startsWith('y.js') || s.startsWith('sub/'))).to.deep.equal([])
    expect(leaks).to.deep.equal([])
    // three symlinks, the FIFO, the binary file and the 50 MB file
    expect(stats.skipped).to.equal(6)
    expect(stats.files).to.equal(2)
  })
})
