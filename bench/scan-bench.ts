/**
 * Times scanProject on a tree (see scan-gen.ts) against ripgrep searching the same tree for the
 * same keyword set; reports files/s, MB/s, peak RSS and the ratio to rg.
 *
 *   npx tsx bench/scan-bench.ts DIR [RUNS=3]
 */
import {execFileSync} from 'node:child_process'
import {scanProject} from '../src/ingest/scan.js'
import {compileSignatures} from '../src/ingest/signatures.js'
import {loadCatalog} from '../src/secrets/providers/catalog.js'

const [dir, runsArg = '3'] = process.argv.slice(2)
if (!dir) {
  console.error('usage: scan-bench DIR [RUNS]')
  process.exit(2)
}
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
  last = await scanProject({root: dir, providers, onProgress: () => {
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
