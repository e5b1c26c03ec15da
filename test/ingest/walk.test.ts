import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import {isVaultError} from '../../src/cli/errors.js'
import {isPlaceholder} from '../../src/ingest/leaks.js'
import {MAX_SKIPPED_LISTED, scanProject} from '../../src/ingest/scan.js'
import {isLeakOnlyPath} from '../../src/ingest/leak-only.js'
import {walkProject} from '../../src/ingest/walk.js'
import {testProviders} from './fixtures/catalog.js'
import {sampleFor} from './helpers/sample.js'
import {makeTmp, removeTmp, writeTree} from './helpers/tmp.js'

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('ingest walk and bad input', () => {
  let dir: string
  beforeEach(() => {
    dir = makeTmp()
  })
  afterEach(() => removeTmp(dir))

  it('refuses a path that does not exist with INVALID_INPUT', async () => {
    const error = await rejection(scanProject({root: path.join(dir, 'nope'), providers: testProviders}))
    expect(isVaultError(error) && error.code).to.equal('INVALID_INPUT')
    expect((error as Error).message).to.match(/^no such folder: /)
  })

  it('refuses a file instead of a folder with INVALID_INPUT and a suggestion', async () => {
    writeTree(dir, {'app.js': 'new OpenAI()\n'})
    const error = await rejection(scanProject({root: path.join(dir, 'app.js'), providers: testProviders}))
    expect(isVaultError(error) && error.code).to.equal('INVALID_INPUT')
    expect((error as Error).message).to.match(/^not a folder: /)
    expect(isVaultError(error) && error.suggestions[0]).to.include(dir)
  })

  it('refuses a non-positive maximum file size', async () => {
    const error = await rejection(scanProject({root: dir, providers: testProviders, maxFileBytes: 0}))
    expect(isVaultError(error) && error.code).to.equal('INVALID_INPUT')
  })

  it('skips dangling symlinks, FIFOs, symlink loops, binaries and huge files without crashing or hanging', async function () {
    this.timeout(30_000)
    writeTree(dir, {
      'src/app.js': 'const client = new OpenAI()\n',
      'bin/data.js': Buffer.concat([Buffer.from('process.env.OPENAI_API_KEY\n'), Buffer.from([0, 1, 2, 3])]),
      'x.js/inner.ts': 'process.env.GROQ_API_KEY\n',
    })
    fs.symlinkSync(path.join(dir, 'missing.js'), path.join(dir, 'dangling.js'))
    fs.symlinkSync('.', path.join(dir, 'loop'))
    fs.symlinkSync(path.join(dir, 'b'), path.join(dir, 'a'))
    fs.symlinkSync(path.join(dir, 'a'), path.join(dir, 'b'))
    fs.symlinkSync('/etc', path.join(dir, 'outside'))
    execFileSync('mkfifo', [path.join(dir, 'pipe.js')])
    fs.writeFileSync(path.join(dir, 'huge.js'), Buffer.alloc(50 * 1024 * 1024, 'a'))
    const scan = await scanProject({root: dir, providers: testProviders})
    const reasons = Object.fromEntries(scan.stats.skipped.map((s) => [s.file, s.reason]))
    expect(reasons).to.deep.equal({
      a: 'symlink', b: 'symlink', 'bin/data.js': 'binary', 'dangling.js': 'symlink', 'huge.js': 'too-large',
      loop: 'symlink', outside: 'symlink', 'pipe.js': 'not-regular',
    })
    expect(scan.stats.skippedTotal).to.equal(8)
    expect(scan.evidence.map((e) => `${e.file}:${e.kind}:${e.provider}`)).to.deep.equal([
      'src/app.js:sdk-constructor:openai', 'x.js/inner.ts:env-reference:groq',
    ])
    expect(scan.stats.files).to.equal(2)
  })

  it('scans a 50 MB single-line file quickly when the size cap allows it (leaks only, no evidence)', async function () {
    this.timeout(30_000)
    fs.writeFileSync(path.join(dir, 'one-line.js'), Buffer.alloc(50 * 1024 * 1024, 'process.env.OPENAI_API_KEY;'))
    const started = Date.now()
    const scan = await scanProject({root: dir, providers: testProviders, maxFileBytes: 64 * 1024 * 1024})
    expect(Date.now() - started).to.be.below(20_000)
    expect(scan.stats.files).to.equal(1)
    expect(scan.evidence).to.deep.equal([])
  })

  it('reports an unreadable folder as skipped (when not running as root)', async function () {
    if (process.getuid?.() === 0) this.skip()
    writeTree(dir, {'locked/a.js': 'new OpenAI()\n', 'ok.js': 'new OpenAI()\n'})
    fs.chmodSync(path.join(dir, 'locked'), 0o000)
    try {
      const scan = await scanProject({root: dir, providers: testProviders})
      expect(scan.stats.skipped).to.deep.include({file: 'locked/', reason: 'unreadable', detail: 'EACCES'})
      expect(scan.evidence.map((e) => e.file)).to.deep.equal(['ok.js'])
    } finally {
      fs.chmodSync(path.join(dir, 'locked'), 0o700)
    }
  })

  it('honours .gitignore at every level, negations, .codexvaultignore; walks build output; prunes dependencies and caches', () => {
    writeTree(dir, {
      '.gitignore': 'secret/\n*.log\npkg/out/\n',
      '.codexvaultignore': 'fixtures/\n',
      'keep.ts': '',
      'debug.log': '',
      'secret/a.ts': '',
      'fixtures/a.ts': '',
      'pkg/.gitignore': 'gen.ts\n!important.log\n',
      'pkg/gen.ts': '',
      'pkg/important.log': '',
      'pkg/src/gen.ts': '',
      'pkg/src/main.ts': '',
      'node_modules/openai/index.js': '',
      'dist/bundle.js': '',
      'build/x.py': '',
      '.venv/lib/x.py': '',
      '__pycache__/x.py': '',
      'web/.next/x.js': '',
      'pkg/out/ignored.js': '',
      '.git/config': '',
      'venv/lib/x.py': '',
      'app.min.js': '',
      'app.js.map': '',
      'package-lock.json': '',
      'logo.png': '',
      '.github/workflows/ci.yml': '',
      '.env.example': '',
    })
    const entries = [...walkProject(dir)]
    const files = entries.filter((e) => e.type === 'file').map((e) => e.rel)
    expect(files).to.deep.equal([
      // a folder's files first, then its subfolders, each in name order; build output that is not ignored is walked
      '.codexvaultignore', '.env.example', '.gitignore', 'app.js.map', 'app.min.js', 'keep.ts', '.github/workflows/ci.yml', 'build/x.py', 'dist/bundle.js',
      'pkg/.gitignore', 'pkg/important.log', 'pkg/src/main.ts', 'web/.next/x.js',
    ])
    // dependency folders are reported (as folders); VCS metadata, caches and ignored paths are not
    const skipped = entries.filter((e) => e.type === 'skipped').map((e) => e.type === 'skipped' && `${e.rel}:${e.reason}`)
    expect(skipped).to.deep.equal(['.venv/:dependencies', 'node_modules/:dependencies', 'venv/:dependencies'])
    expect(files.filter(isLeakOnlyPath)).to.deep.equal(['app.js.map', 'app.min.js', 'build/x.py', 'dist/bundle.js', 'web/.next/x.js'])
  })

  it('tells leak-only paths: build output folders at any depth, minified files and source maps', () => {
    const leakOnly = ['dist/a.js', 'packages/web/.next/server/page.js', 'out/x', 'a/build/b/c.py', 'x.min.js', 'src/x.js.map', 'target/release/app.rs']
    const normal = ['distribution/a.js', 'src/build.ts', 'dist', 'a/builder/b.js', 'min.js', 'src/out.js', 'index.ts']
    for (const rel of leakOnly) expect(isLeakOnlyPath(rel), rel).to.equal(true)
    for (const rel of normal) expect(isLeakOnlyPath(rel), rel).to.equal(false)
  })

  it('checks committed build output and minified files for leaks only; what .gitignore ignores is not read', async () => {
    const key = sampleFor('sk-ant-api03-[A-Za-z0-9_-]{93}AA', (v) => !isPlaceholder(v))
    writeTree(dir, {
      'package.json': '{"name": "web", "dependencies": {"openai": "4"}}',
      'src/index.ts': "import OpenAI from 'openai'\nexport const c = new OpenAI()\n",
      'dist/bundle.js': `import Groq from 'groq-sdk';const g=new Groq();const k='${key}'\n`,
      'dist/package.json': '{"name": "bundle", "dependencies": {"stripe": "1"}}',
      'public/vendor.min.js': `var k="${key}";`,
      'pkg/.gitignore': 'build/\n',
      'pkg/build/out.js': `const k = '${key}'\n`,
      'node_modules/x/index.js': `const k = '${key}'\n`,
    })
    const scan = await scanProject({root: dir, providers: testProviders})
    expect(scan.leaks.map((l) => `${l.file}:${l.rule}`)).to.deep.equal(['dist/bundle.js:anthropic-api-key', 'public/vendor.min.js:anthropic-api-key'])
    // no evidence and no app folder (manifest) from build output
    expect([...new Set(scan.evidence.map((e) => e.file))]).to.deep.equal(['package.json', 'src/index.ts'])
    expect(scan.manifests.map((m) => m.file)).to.deep.equal(['package.json'])
    expect(scan.stats).to.deep.include({files: 6, leakOnly: 3, skippedTotal: 1, skippedByReason: {dependencies: 1}})
    expect(scan.stats.skipped).to.deep.equal([{file: 'node_modules/', reason: 'dependencies'}])
  })

  it('counts every skip by reason, and lists those that could hide a key first when there are too many to list', async function () {
    this.timeout(30_000)
    for (let i = 0; i < MAX_SKIPPED_LISTED + 200; i++) fs.symlinkSync('nowhere', path.join(dir, `l${String(i).padStart(5, '0')}`))
    writeTree(dir, {'zz/big.js': 'x'.repeat(2048), 'zz/data.js': Buffer.from([0, 1, 2])})
    const scan = await scanProject({root: dir, providers: testProviders, maxFileBytes: 1024})
    expect(scan.stats.skippedTotal).to.equal(MAX_SKIPPED_LISTED + 202)
    expect(scan.stats.skippedByReason).to.deep.equal({symlink: MAX_SKIPPED_LISTED + 200, 'too-large': 1, binary: 1})
    expect(scan.stats.skipped).to.have.length(MAX_SKIPPED_LISTED)
    // still in walk order, the two that could hold a key kept although they come last
    expect(scan.stats.skipped.slice(-2)).to.deep.equal([{file: 'zz/big.js', reason: 'too-large', detail: '2048 bytes'}, {file: 'zz/data.js', reason: 'binary'}])
    expect(scan.stats.skipped[0]).to.deep.equal({file: 'l00000', reason: 'symlink'})
  })

  it('reports progress and counts bytes', async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 1200; i++) files[`f/${i}.ts`] = `export const n = ${i}\n`
    writeTree(dir, files)
    const seen: number[] = []
    const scan = await scanProject({root: dir, providers: testProviders, onProgress: (p) => seen.push(p.files)})
    expect(seen).to.deep.equal([500, 1000, 1200])
    expect(scan.stats.bytes).to.equal(Object.values(files).reduce((n, s) => n + s.length, 0))
  })
})
