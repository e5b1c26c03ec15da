/**
 * Times scanProject on a tree (see scan-gen.ts) against ripgrep searching the same tree for the
 * same keyword set; reports files/s, MB/s, peak RSS (the whole process: worker threads included),
 * the load average and the ratio to rg (medians of RUNS runs each).
 *
 *   npx tsx bench/scan-bench.ts DIR [RUNS=3] [--dist] [--workers=N]
 *
 * --dist times the compiled scanner (dist/, after `npx tsc -b`), as installed users run it: under
 * tsx each worker thread first compiles the TypeScript sources again (~0.5 s).
 */
import {execFileSync} from 'node:child_process'
import os from 'node:os'
import type {scanProject as ScanProject} from '../src/ingest/scan.js'
import {compileSignatures} from '../src/ingest/signatures.js'
import {loadCatalog} from '../src/secrets/providers/catalog.js'

const args = process.argv.slice(2)
const [dir, runsArg = '3'] = args.filter((a) => !a.startsWith('--'))
if (!dir) {
  console.error('usage: scan-bench DIR [RUNS] [--dist] [--workers=N]')
  process.exit(2)
}
const dist = args.includes('--dist')
const workersArg = args.find((a) => a.startsWith('--workers='))
const workers = workersArg ? Number(workersArg.split('=')[1]) : undefined
const {scanProject} = (await import(dist ? '../dist/src/ingest/scan.js' : '../src/ingest/scan.js')) as {scanProject: typeof ScanProject}
const loadBefore = os.loadavg()[0]
const runs = Number(runsArg)
const providers = loadCatalog([]).providers
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

let peak = process.memoryUsage().rss
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss)
}, 5)

const times: number[] = []
let last: Awaited<ReturnType<typeof scanProject>> | undefined
for (let i = 0; i < runs; i++) {
  const started = performance.now()
  last = await scanProject({root: dir, providers, workers, onProgress: () => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }})
  times.push(performance.now() - started)
}
clearInterval(sampler)
const scanMs = median(times)

const keywords = [...compileSignatures(providers).byKeyword.keys()]
const rgArgs = ['-c', '-i', '--hidden', '-g', '!.git', ...keywords.flatMap((k) => ['-F', '-e', k]), dir]
const rgTimes: number[] = []
for (let i = 0; i < runs; i++) {
  const started = performance.now()
  try {
    execFileSync('rg', rgArgs, {stdio: ['ignore', 'ignore', 'ignore'], maxBuffer: 1 << 30})
  } catch (error) {
    if ((error as {status?: number}).status !== 1) throw error // 1 = no match
  }
  rgTimes.push(performance.now() - started)
}
const rgMs = median(rgTimes)
const mb = last!.stats.bytes / 1024 / 1024
console.log(JSON.stringify({
  source: dist ? 'dist' : 'tsx',
  workers: workers ?? 'default',
  load: [+loadBefore.toFixed(2), +os.loadavg()[0].toFixed(2)],
  scanRunsMs: times.map(Math.round),
  rgRunsMs: rgTimes.map(Math.round),
  files: last!.stats.files,
  megabytes: +mb.toFixed(1),
  scanMs: Math.round(scanMs),
  filesPerSecond: Math.round(last!.stats.files / (scanMs / 1000)),
  megabytesPerSecond: +(mb / (scanMs / 1000)).toFixed(1),
  peakRssMb: +(Math.max(peak, process.resourceUsage().maxRSS * 1024) / 1024 / 1024).toFixed(1),
  rgMs: Math.round(rgMs),
  ratioToRg: +(scanMs / rgMs).toFixed(2),
  keywords: keywords.length,
  evidence: last!.evidence.length,
  leaks: last!.leaks.length,
}))
