import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import {isVaultError} from '../../src/cli/errors.js'
import {scanProject} from '../../src/ingest/scan.js'
import {walkProject} from '../../src/ingest/walk.js'
import {testProviders} from './fixtures/catalog.js'
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
      expect(scan.stats.skipped).to.deep.include({file: 'locked', reason: 'unreadable', detail: 'EACCES'})
      expect(scan.evidence.map((e) => e.file)).to.deep.equal(['ok.js'])
    } finally {
      fs.chmodSync(path.join(dir, 'locked'), 0o700)
    }
  })

  it('honours .gitignore at every level, negations, .codexvaultignore, and prunes dependency and build folders', () => {
    writeTree(dir, {
      '.gitignore': 'secret/\n*.log\n',
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
      // a folder's files first, then its subfolders, each in name order
      '.codexvaultignore', '.env.example', '.gitignore', 'keep.ts', '.github/workflows/ci.yml', 'pkg/.gitignore', 'pkg/important.log', 'pkg/src/main.ts',
    ])
    const skipped = entries.filter((e) => e.type === 'skipped').map((e) => e.rel)
    expect(skipped).to.deep.equal(['app.js.map', 'app.min.js'])
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
