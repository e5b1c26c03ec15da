/**
 * Times scanProject on a tree (see scan-gen.ts) against ripgrep searching the same tree for the
 * same keyword set; reports files/s, MB/s, peak RSS (the whole process: worker threads included),
 * the load average and the ratio to rg (medians of RUNS runs each, scan and rg runs alternating).
 *
 *   npx tsx bench/scan-bench.ts DIR [RUNS=3] [--dist | --dist=OUTDIR] [--workers=N]
 *
 * --dist times the compiled scanner (dist/, after `npx tsc -b`), as installed users run it: under
 * tsx each worker thread first compiles the TypeScript sources again (~0.5 s). --dist=OUTDIR takes
 * it from another compile (`npx tsc -p tsconfig.json --outDir OUTDIR`), so that a bench does not
 * read a dist/ that someone else is rebuilding; OUTDIR needs a package.json with "type": "module"
 * and a node_modules symlink to resolve dependencies from.
 */
import {execFileSync} from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import type {scanProject as ScanProject} from '../src/ingest/scan.js'
import {compileSignatures} from '../src/ingest/signatures.js'
import {loadCatalog} from '../src/secrets/providers/catalog.js'

const args = process.argv.slice(2)
const [dir, runsArg = '3'] = args.filter((a) => !a.startsWith('--'))
if (!dir) {
  console.error('usage: scan-bench DIR [RUNS] [--dist | --dist=OUTDIR] [--workers=N]')
  process.exit(2)
}
const distArg = args.find((a) => a === '--dist' || a.startsWith('--dist='))
const distDir = distArg?.startsWith('--dist=') ? distArg.slice('--dist='.length) : undefined
const dist = distArg !== undefined
const scanModule = distDir ? pathToFileURL(path.resolve(distDir, 'src/ingest/scan.js')).href : dist ? '../dist/src/ingest/scan.js' : '../src/ingest/scan.js'
const workersArg = args.find((a) => a.startsWith('--workers='))
const workers = workersArg ? Number(workersArg.split('=')[1]) : undefined
const {scanProject} = (await import(scanModule)) as {scanProject: typeof ScanProject}
const loadBefore = os.loadavg()[0]
const runs = Number(runsArg)
const providers = loadCatalog([]).providers
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

let peak = process.memoryUsage().rss
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss)
}, 5)

const keywords = [...compileSignatures(providers).byKeyword.keys()]
const rgArgs = ['-c', '-i', '--hidden', '-g', '!.git', ...keywords.flatMap((k) => ['-F', '-e', k]), dir]
function runRg(): void {
  try {
    execFileSync('rg', rgArgs, {stdio: ['ignore', 'ignore', 'ignore'], maxBuffer: 1 << 30})
  } catch (error) {
    if ((error as {status?: number}).status !== 1) throw error // 1 = no match
  }
}

// Scan and rg runs alternate, so that both see the same machine: on a shared box the load moves
// within seconds, and the ratio is what counts.
const times: number[] = []
const cpuTimes: number[] = []
const rgTimes: number[] = []
// Only the counts outlive a run: its findings can be collected while the next one runs.
let last: {files: number; bytes: number; evidence: number; leaks: number} | undefined
let firstPeak = 0
for (let i = 0; i < runs; i++) {
  const cpu = process.cpuUsage()
  let started = performance.now()
  const result = await scanProject({root: dir, providers, workers, onProgress: () => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }})
  times.push(performance.now() - started)
  last = {files: result.stats.files, bytes: result.stats.bytes, evidence: result.evidence.length, leaks: result.leaks.length}
  // Later runs' peaks may include earlier runs' findings not yet collected: the first is one scan alone.
  if (i === 0) firstPeak = Math.max(peak, process.resourceUsage().maxRSS * 1024)
  const used = process.cpuUsage(cpu)
  cpuTimes.push((used.user + used.system) / 1000)
  started = performance.now()
  runRg()
  rgTimes.push(performance.now() - started)
}
clearInterval(sampler)
const scanMs = median(times)
const rgMs = median(rgTimes)
const mb = last!.bytes / 1024 / 1024
console.log(JSON.stringify({
  source: distDir ? path.resolve(distDir) : dist ? 'dist' : 'tsx',
  workers: workers ?? 'default',
  load: [+loadBefore.toFixed(2), +os.loadavg()[0].toFixed(2)],
  scanRunsMs: times.map(Math.round),
  /** CPU time of the scanning process (all threads) per run */
  scanCpuMs: cpuTimes.map(Math.round),
  rgRunsMs: rgTimes.map(Math.round),
  files: last!.files,
  megabytes: +mb.toFixed(1),
  scanMs: Math.round(scanMs),
  filesPerSecond: Math.round(last!.files / (scanMs / 1000)),
  megabytesPerSecond: +(mb / (scanMs / 1000)).toFixed(1),
  peakRssMb: +(Math.max(peak, process.resourceUsage().maxRSS * 1024) / 1024 / 1024).toFixed(1),
  firstRunPeakRssMb: +(firstPeak / 1024 / 1024).toFixed(1),
  rgMs: Math.round(rgMs),
  ratioToRg: +(scanMs / rgMs).toFixed(2),
  keywords: keywords.length,
  evidence: last!.evidence,
  leaks: last!.leaks,
}))
