/**
 * Audit log figures: append and tail cost at 1,000 vs 1,000,000 records (both must be O(1)), and
 * verify throughput. Usage: npx tsx bench/audit-bench.ts [bigCount=1000000]. Deletes its files.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {AuditLog} from '../src/audit/log.js'
import {generateAuditLog, randomAuditKey} from './audit-gen.js'

const APPENDS = 200
const TAILS = 300

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function timeEach(count: number, fn: (i: number) => void): number {
  const samples: number[] = []
  for (let i = 0; i < count; i++) {
    const t = process.hrtime.bigint()
    fn(i)
    samples.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  return median(samples)
}

function measure(dir: string, count: number) {
  const file = path.join(dir, `bench-${count}.audit`)
  const key = randomAuditKey()
  let t = performance.now()
  const anchor = generateAuditLog(file, count, key)
  const genMs = performance.now() - t
  const size = fs.statSync(file).size
  // no rotation during the benchmark: we measure the steady-state append
  const log = new AuditLog({path: file, segmentBytes: 4 * 1024 ** 3})
  t = performance.now()
  const cpu = process.cpuUsage()
  const report = log.verify(key, anchor)
  const verifyMs = performance.now() - t
  const used = process.cpuUsage(cpu)
  const verifyCpuMs = (used.user + used.system) / 1000
  if (!report.ok) throw new Error(`verify failed: ${report.problem}`)
  const tailMs = timeEach(TAILS, () => log.tail({limit: 20}))
  const tailFilteredMs = timeEach(TAILS, () => log.tail({limit: 20, type: 'run'}))
  timeEach(20, (i) => log.append({type: 'run.warmup', outcome: 'ok', data: {i}}, key)) // page cache, JIT
  const appendMs = timeEach(APPENDS, (i) => log.append({type: 'run.allow', outcome: 'allow', asset: 'bench', data: {i}}, key))
  let last = log.head()!
  const checkMs = timeEach(TAILS, () => log.checkAnchor(last))
  last = log.head()!
  fs.rmSync(file)
  return {count, sizeMiB: +(size / 1024 ** 2).toFixed(1), genMs: Math.round(genMs), verifyMs: Math.round(verifyMs),
    verifyPerSec: Math.round(count / (verifyMs / 1000)), verifyPerCpuSec: Math.round(count / (verifyCpuMs / 1000)), appendMs, tailMs, tailFilteredMs, checkAnchorMs: checkMs}
}

const big = Number(process.argv[2] ?? 1_000_000)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cv-audit-bench-'))
try {
  const small = measure(dir, 1000)
  const large = measure(dir, big)
  console.table([small, large])
  console.log(`load average during the run: ${os.loadavg().map((n) => n.toFixed(1)).join(' ')} on ${os.availableParallelism()} CPUs`)
  const f = (n: number) => n.toFixed(3)
  console.log(`append median: ${f(small.appendMs)} ms vs ${f(large.appendMs)} ms (ratio ${(large.appendMs / small.appendMs).toFixed(2)}, target <= 1.2)`)
  console.log(`tail(20) median: ${f(small.tailMs)} ms vs ${f(large.tailMs)} ms (ratio ${(large.tailMs / small.tailMs).toFixed(2)}, target <= 1.5)`)
  console.log(`checkAnchor median: ${f(small.checkAnchorMs)} ms vs ${f(large.checkAnchorMs)} ms`)
  console.log(`verify: ${large.verifyPerSec.toLocaleString('en')} records/s wall, ${large.verifyPerCpuSec.toLocaleString('en')} per CPU-second on ${large.count.toLocaleString('en')} records (${large.sizeMiB} MiB; target > 200,000/s)`)
} finally {
  fs.rmSync(dir, {recursive: true, force: true})
}
