/**
 * Audit log figures: append and tail cost at 1,000 vs 1,000,000 records (both must be O(1)), and
 * verify throughput. Usage: npx tsx bench/audit-bench.ts [bigCount=1000000]. Deletes its files.
 *
 * Append and tail are timed on both logs in alternation (small, big, big, small, ...), so disk and
 * CPU noise from other processes on a shared machine lands on both sizes alike; the earlier
 * one-size-then-the-other timing gave append ratios anywhere from 0.4 to 1.3 for the same code.
 * Verify is timed with the default threads (what `audit verify` does, worker start-up included)
 * and on one thread; records/s per CPU-second counts the CPU time of all threads.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type {AuditAnchor} from '../src/audit/events.js'
import {AuditLog} from '../src/audit/log.js'
import {type VerifyTuning, verifyLog} from '../src/audit/verify.js'
import {generateAuditLog, randomAuditKey} from './audit-gen.js'

const APPENDS = 400
const TAILS = 400
const WARMUP = 30

interface Subject {
  count: number
  file: string
  key: Buffer
  anchor: AuditAnchor | null
  log: AuditLog
  sizeMiB: number
  genMs: number
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function timeOnce(fn: () => void): number {
  const t = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - t) / 1e6
}

/** Median ms of `op` on each subject, the subjects taking turns (ABBA order) sample by sample. */
function interleaved(subjects: Subject[], samples: number, op: (s: Subject, i: number) => void): number[] {
  const times: number[][] = subjects.map(() => [])
  for (let i = 0; i < samples; i++) {
    const order = i % 2 === 0 ? subjects.map((_, k) => k) : subjects.map((_, k) => subjects.length - 1 - k)
    for (const k of order) times[k].push(timeOnce(() => op(subjects[k], i)))
  }
  return times.map(median)
}

function prepare(dir: string, count: number): Subject {
  const file = path.join(dir, `bench-${count}.audit`)
  const key = randomAuditKey()
  const t = performance.now()
  const anchor = generateAuditLog(file, count, key)
  const genMs = Math.round(performance.now() - t)
  // no rotation during the benchmark: we measure the steady-state append
  const log = new AuditLog({path: file, segmentBytes: 4 * 1024 ** 3})
  return {count, file, key, anchor, log, genMs, sizeMiB: +(fs.statSync(file).size / 1024 ** 2).toFixed(1)}
}

function verify(s: Subject, tuning: VerifyTuning) {
  const t = performance.now()
  const cpu = process.cpuUsage()
  const report = verifyLog(s.file, s.key, s.anchor, {}, tuning)
  const ms = performance.now() - t
  const used = process.cpuUsage(cpu)
  if (!report.ok) throw new Error(`verify failed: ${report.problem}`)
  return {ms: Math.round(ms), perSec: Math.round(s.count / (ms / 1000)), perCpuSec: Math.round(s.count / ((used.user + used.system) / 1e6))}
}

const big = Number(process.argv[2] ?? 1_000_000)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cv-audit-bench-'))
const load = () => os.loadavg().map((n) => n.toFixed(2)).join(' ')
try {
  const loadBefore = load()
  const subjects = [prepare(dir, 1000), prepare(dir, big)]
  const stats = {workerRanges: 0, ownRanges: 0}
  const verified = subjects.map((s) => ({default: verify(s, {stats: s.count === big ? stats : undefined}), oneThread: verify(s, {threads: 1})}))
  // the page cache now holds both files; warm the JIT on both before timing
  interleaved(subjects, WARMUP, (s) => s.log.tail({limit: 20}))
  interleaved(subjects, WARMUP, (s, i) => s.log.append({type: 'run.warmup', outcome: 'ok', data: {i}}, s.key))
  const tailMs = interleaved(subjects, TAILS, (s) => s.log.tail({limit: 20}))
  const tailFilteredMs = interleaved(subjects, TAILS, (s) => s.log.tail({limit: 20, type: 'run'}))
  const appendMs = interleaved(subjects, APPENDS, (s, i) => s.log.append({type: 'run.allow', outcome: 'allow', asset: 'bench', data: {i}}, s.key))
  const heads = subjects.map((s) => s.log.head())
  const checkAnchorMs = interleaved(subjects, TAILS, (s) => s.log.checkAnchor(heads[subjects.indexOf(s)]))
  console.table(subjects.map((s, k) => ({
    count: s.count, sizeMiB: s.sizeMiB, genMs: s.genMs,
    verifyMs: verified[k].default.ms, verifyPerSec: verified[k].default.perSec, verifyPerCpuSec: verified[k].default.perCpuSec,
    verify1tPerSec: verified[k].oneThread.perSec, verify1tPerCpuSec: verified[k].oneThread.perCpuSec,
    appendMs: appendMs[k], tailMs: tailMs[k], tailFilteredMs: tailFilteredMs[k], checkAnchorMs: checkAnchorMs[k],
  })))
  console.log(`load average before: ${loadBefore}, after: ${load()} on ${os.availableParallelism()} CPUs`)
  const f = (n: number) => n.toFixed(3)
  console.log(`append median: ${f(appendMs[0])} ms vs ${f(appendMs[1])} ms (ratio ${(appendMs[1] / appendMs[0]).toFixed(2)}, target <= 1.2)`)
  console.log(`tail(20) median: ${f(tailMs[0])} ms vs ${f(tailMs[1])} ms (ratio ${(tailMs[1] / tailMs[0]).toFixed(2)}, target <= 1.5)`)
  console.log(`checkAnchor median: ${f(checkAnchorMs[0])} ms vs ${f(checkAnchorMs[1])} ms`)
  const [v, one] = [verified[1].default, verified[1].oneThread]
  console.log(`verify: ${v.perSec.toLocaleString('en')} records/s wall, ${v.perCpuSec.toLocaleString('en')} per CPU-second on ${big.toLocaleString('en')} records `
    + `(${subjects[1].sizeMiB} MiB; ${stats.workerRanges} of ${stats.workerRanges + stats.ownRanges} ranges on workers; target > 200,000/s)`)
  console.log(`verify on one thread: ${one.perSec.toLocaleString('en')} records/s wall, ${one.perCpuSec.toLocaleString('en')} per CPU-second`)
} finally {
  fs.rmSync(dir, {recursive: true, force: true})
}
