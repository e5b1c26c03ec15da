import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import {isPlaceholder, prepareKnownValues} from '../../src/ingest/leaks.js'
import {analyzeFile, type FileOutcome} from '../../src/ingest/scan-file.js'
import {ScanPool, type Batch} from '../../src/ingest/scan-pool.js'
import {compileSignatures} from '../../src/ingest/signatures.js'
import {scanProject, type ScanOptions, type ScanResult} from '../../src/ingest/scan.js'
import {loadCatalog} from '../../src/secrets/providers/catalog.js'
import {testProviders} from './fixtures/catalog.js'
import {sampleFor} from './helpers/sample.js'
import {FIXTURES, makeTmp, removeTmp, writeTree} from './helpers/tmp.js'

const APPS = ['node-openai', 'python-anthropic', 'go-app', 'monorepo', 'traps', 'contract']
/** Workers join in at once, so that small trees exercise the parallel path. */
const AT_ONCE = {files: 1, bytes: 1}

function withoutTime(scan: ScanResult): Omit<ScanResult, 'stats'> & {stats: Omit<ScanResult['stats'], 'ms'>} {
  const {ms: _ms, ...stats} = scan.stats
  return {...scan, stats}
}

describe('ingest parallel scan', () => {
  let dir: string
  beforeEach(() => {
    dir = makeTmp()
  })
  afterEach(() => removeTmp(dir))

  /** Fixture apps, planted keys, a vault value, skips of every kind, filler: a bit of everything. */
  function buildTree(canary: string): void {
    for (const app of APPS) fs.cpSync(path.join(FIXTURES, app), path.join(dir, app), {recursive: true})
    const files: Record<string, string | Buffer> = {}
    for (const p of testProviders) {
      for (const f of p.keyFormats) {
        if (f.public || f.pattern.includes('://')) continue
        const value = sampleFor(f.pattern, (v) => !isPlaceholder(v))
        files[`planted/${f.id}/config.js`] = `// ${p.id}\nexport const key = '${value}'\n`
        files[`planted/${f.id}/NOTES.md`] = `Uses ${p.id}.\n\nThe key is ${value} for now.\n`
      }
    }
    for (let i = 0; i < 120; i++) {
      files[`filler/${String(i).padStart(3, '0')}/mod.ts`] = `import OpenAI from 'openai'\nconst k = process.env.APP_SECRET_${i}\nexport const n = ${i}\n`
      if (i % 10 === 0) files[`filler/${String(i).padStart(3, '0')}/blob.txt`] = Buffer.from([1, 2, 0, 3])
      if (i % 25 === 0) files[`filler/${String(i).padStart(3, '0')}/big.js`] = 'x'.repeat(70 * 1024)
      if (i % 40 === 0) files[`filler/${String(i).padStart(3, '0')}/app.min.js`] = 'var a=1'
    }
    files['leaky/settings.py'] = `import os\n\nTOKEN = "${canary}"\n`
    // build output and minified files: leaks only; dependencies: skipped
    const bundled = sampleFor('gsk_[A-Za-z0-9]{52}', (v) => !isPlaceholder(v))
    for (let i = 0; i < 40; i++) files[`web/dist/chunk-${i}.js`] = `import OpenAI from 'openai';new OpenAI();var k${i}='${i === 7 ? bundled : 'x'}'\n`
    files['web/public/app.min.js'] = `import Groq from 'groq-sdk';var g=new Groq();var k='${bundled}'`
    files['web/node_modules/openai/index.js'] = `export const k = '${bundled}'\n`
    files['leaky/deep/notes.md'] = `first line\n${canary}\n`
    writeTree(dir, files)
    fs.symlinkSync(path.join(dir, 'leaky', 'settings.py'), path.join(dir, 'leaky', 'link.py'))
  }

  async function scanTwice(extra: Partial<ScanOptions>, workers: number[]): Promise<{scans: ScanResult[]; progress: number[][]}> {
    const scans: ScanResult[] = []
    const progress: number[][] = []
    for (const count of workers) {
      const seen: number[] = []
      scans.push(await scanProject({root: dir, providers: testProviders, maxFileBytes: 64 * 1024, workers: count, parallelAfter: AT_ONCE, onProgress: (p) => seen.push(p.files), ...extra}))
      progress.push(seen)
    }
    return {scans, progress}
  }

  it('gives the same result with and without workers, in the same order', async () => {
    const canary = `cvcanary_${crypto.randomBytes(24).toString('hex')}`
    buildTree(canary)
    const known = Buffer.from(canary)
    const {scans, progress} = await scanTwice({knownValues: [{value: known, label: 'test:CANARY'}]}, [0, 1, 2])
    const [single, ...parallel] = scans
    expect(single.stats.files).to.be.greaterThan(150)
    expect(single.evidence.length).to.be.greaterThan(100)
    expect(single.leaks.filter((l) => l.rule === 'vault-secret').map((l) => [l.file, l.line])).to.deep.equal([['leaky/deep/notes.md', 2], ['leaky/settings.py', 3]])
    expect(single.leaks.filter((l) => l.rule !== 'vault-secret').length).to.be.greaterThan(10)
    expect(single.stats.skipped.map((s) => s.reason)).to.include.members(['binary', 'too-large', 'dependencies', 'symlink'])
    expect(single.stats.skipped).to.deep.include({file: 'web/node_modules/', reason: 'dependencies'})
    expect(single.stats.leakOnly).to.equal(40 + 1 + 3) // web/dist, web/public/app.min.js, filler/*/app.min.js
    expect(single.leaks.filter((l) => l.file.startsWith('web/')).map((l) => `${l.file}:${l.rule}`)).to.deep.equal(['web/dist/chunk-7.js:groq-api-key', 'web/public/app.min.js:groq-api-key'])
    expect(single.evidence.filter((e) => e.file.startsWith('web/'))).to.deep.equal([])
    for (const scan of parallel) expect(withoutTime(scan)).to.deep.equal(withoutTime(single))
    for (const seen of progress) expect(seen).to.deep.equal(progress[0])
    // The caller's buffer is left alone (the caller wipes it) and the value never leaves in clear.
    expect(known.toString()).to.equal(canary)
    for (const scan of scans) expect(JSON.stringify(scan)).to.not.include(canary)
  })

  it('gives the same result with the built-in catalog', async () => {
    buildTree(`cvcanary_${crypto.randomBytes(24).toString('hex')}`)
    const providers = loadCatalog([]).providers
    const {scans} = await scanTwice({providers}, [0, 1])
    expect(scans[0].evidence.length).to.be.greaterThan(100)
    expect(withoutTime(scans[1])).to.deep.equal(withoutTime(scans[0]))
  })

  it('keeps only the first skips, in walk order, when workers report them out of order', async () => {
    const files: Record<string, string | Buffer> = {}
    for (let i = 0; i < 2300; i++) files[`b/${String(i).padStart(4, '0')}.txt`] = i % 3 === 0 ? 'text\n' : Buffer.from([0, i & 0xff])
    writeTree(dir, files)
    const {scans} = await scanTwice({}, [0, 1])
    expect(scans[0].stats.skippedTotal).to.equal(2300 - 767)
    expect(scans[0].stats.skipped).to.have.length(1000)
    expect(scans[0].stats.skipped[0]).to.deep.equal({file: 'b/0001.txt', reason: 'binary'})
    expect(withoutTime(scans[1])).to.deep.equal(withoutTime(scans[0]))
  })

  it('runs batches in a worker thread (not a silent fallback) with the same outcomes as the calling thread', async () => {
    const canary = `cvcanary_${crypto.randomBytes(24).toString('hex')}`
    buildTree(canary)
    const rels = ['node-openai/src/index.js', 'leaky/settings.py', 'planted/anthropic-api-key/config.js', 'filler/000/blob.txt', 'filler/000/big.js', 'monorepo/package.json']
    for (const rel of rels) expect(fs.existsSync(path.join(dir, rel)), rel).to.equal(true)
    const files = rels.flatMap((rel) => [path.join(dir, rel), rel])
    const shared = new SharedArrayBuffer(canary.length)
    new Uint8Array(shared).set(Buffer.from(canary))
    const results: FileOutcome[][] = []
    let exited = 0
    const pool = new ScanPool(1, {providers: testProviders, maxFileBytes: 64 * 1024, knownBytes: shared, known: [{start: 0, length: canary.length, label: 'test:CANARY'}]}, (_batch, outcomes) => results.push(outcomes))
    try {
      const batch: Batch = {id: 7, files, seqs: rels.map((_, i) => i)}
      expect(pool.trySend(batch)).to.equal(true)
      while (pool.inFlight > 0) await pool.changed()
      exited = pool.takeOrphans().length
    } finally {
      await pool.close()
    }
    expect(exited, 'the worker died').to.equal(0)
    const ctx = {sig: compileSignatures(testProviders), known: prepareKnownValues([{value: canary, label: 'test:CANARY'}]), buffer: Buffer.alloc(64 * 1024), maxFileBytes: 64 * 1024}
    const local = rels.map((rel) => analyzeFile(ctx, path.join(dir, rel), rel))
    expect(results).to.deep.equal([local])
    expect(local.map((o) => (o.ok ? 'ok' : o.reason))).to.deep.equal(['ok', 'ok', 'ok', 'binary', 'too-large', 'ok'])
    expect(local[1].ok && local[1].leaks.map((l) => l.rule)).to.deep.equal(['vault-secret'])
  })

  it('answers a batch in parts when its files overflow the shared ring, with the same results', async () => {
    // 12 files of ~1.5 MB (the ring holds 8 MiB): the worker must hand over what it has and wait.
    const files: Record<string, string> = {}
    const filler = `${'// nothing to see here, just padding for the ring buffer\n'.repeat(26000)}`
    for (let i = 0; i < 12; i++) files[`big/${String(i).padStart(2, '0')}.ts`] = `import OpenAI from 'openai'\n${filler}const k = process.env.APP_SECRET_${i}\n`
    writeTree(dir, files)
    const parts: number[] = []
    const pool = new ScanPool(1, {providers: testProviders, maxFileBytes: 2 * 1024 * 1024, known: []}, (batch) => parts.push(batch.seqs.length))
    const rels = Object.keys(files)
    try {
      expect(pool.trySend({id: 1, files: rels.flatMap((rel) => [path.join(dir, rel), rel]), seqs: rels.map((_, i) => i)})).to.equal(true)
      while (pool.inFlight > 0) await pool.changed()
      expect(pool.takeOrphans()).to.deep.equal([])
    } finally {
      await pool.close()
    }
    expect(parts.length).to.be.greaterThan(1)
    expect(parts.reduce((a, b) => a + b, 0)).to.equal(12)
    const {scans} = await scanTwice({maxFileBytes: 2 * 1024 * 1024}, [0, 1])
    expect(scans[0].evidence.filter((e) => e.kind === 'env-reference')).to.have.length(12)
    expect(withoutTime(scans[1])).to.deep.equal(withoutTime(scans[0]))
  })

  it('fails the scan (not the process) when onProgress throws while workers report', async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 1100; i++) files[`f/${String(i).padStart(4, '0')}.ts`] = `export const n = ${i}\n`
    writeTree(dir, files)
    let calls = 0
    const failing = scanProject({root: dir, providers: testProviders, workers: 1, parallelAfter: {files: 1, bytes: 1}, onProgress: () => {
      calls++
      throw new Error('progress sink failed')
    }})
    let error: unknown
    try {
      await failing
    } catch (caught) {
      error = caught
    }
    expect((error as Error).message).to.equal('progress sink failed')
    expect(calls).to.equal(1)
  })

  it('stays on the calling thread below the threshold and with workers: 0', async () => {
    writeTree(dir, {'a.ts': "import OpenAI from 'openai'\n"})
    const small = await scanProject({root: dir, providers: testProviders})
    const none = await scanProject({root: dir, providers: testProviders, workers: 0, parallelAfter: AT_ONCE})
    expect(withoutTime(none)).to.deep.equal(withoutTime(small))
    expect(small.evidence.map((e) => e.kind)).to.include('import')
  })
})
