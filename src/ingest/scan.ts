/**
 * scanProject: walk -> per file (known values, keyword prefilter, leaks, evidence, manifests).
 * One reusable read buffer per thread and a bounded number of files in flight keep memory flat
 * with tree size; only the findings (and at most 2 x MAX_SKIPPED_LISTED skip records) accumulate.
 *
 * Small trees are scanned on the calling thread. Once a scan has seen PARALLEL_AFTER files or
 * bytes, worker threads (scan-pool.ts) join in: the calling thread walks and hands out batches of
 * paths, the workers read and prefilter them, and the calling thread finishes their files (the
 * text half of the analysis) as their answers come in, or analyses a whole batch itself when every
 * worker is busy. Results are sorted at the end, and each file's findings stay together and in
 * order, so the output does not depend on which thread did what.
 *
 * A path that is a file, not a folder, is refused (INVALID_INPUT): apps are folders, and app
 * attribution needs a root.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {VaultError} from '../cli/errors.js'
import type {Provider} from '../secrets/providers/schema.js'
import {compareEvidence, type Evidence} from './evidence.js'
import {compareLeaks, prepareKnownValues, type KnownValue, type Leak, type PreparedKnownValue} from './leaks.js'
import type {Manifest} from './manifests.js'
import {analyzeFile, internEvidence, makeIntern, type FileContext, type FileOutcome} from './scan-file.js'
import type {Batch, ScanPool, WorkerInit} from './scan-pool.js'
import {compileSignatures} from './signatures.js'
import {UNCHECKED_REASONS} from './read.js'
import {DEFAULT_MAX_FILE_BYTES, walkProject, type SkipReason} from './walk.js'

export interface ScanOptions {
  root: string
  providers: Provider[]
  /**
   * the vault's stored values, searched byte for byte (values under 8 bytes are ignored). Buffers are
   * not copied, except once into a buffer shared with the worker threads, which is zeroed before
   * scanProject returns.
   */
  knownValues?: KnownValue[]
  /** files over this size are skipped 'too-large'; default 2 MiB */
  maxFileBytes?: number
  /** worker threads for big trees; default: available cores - 1 (at most 3); 0 keeps the scan on the calling thread */
  workers?: number
  /** when workers join in (tests lower it); default PARALLEL_AFTER */
  parallelAfter?: {files: number; bytes: number}
  onProgress?: (progress: {files: number; bytes: number}) => void
}

export interface ScanResult {
  /** the absolute, symlink-resolved folder that was scanned */
  root: string
  evidence: Evidence[]
  leaks: Leak[]
  manifests: Manifest[]
  stats: {
    /** files read and scanned, leakOnly ones included */
    files: number
    bytes: number
    /** of `files`, those checked for leaks only: build output, minified files and source maps */
    leakOnly: number
    /**
     * at most MAX_SKIPPED_LISTED skips, in walk order: those of files that could hold a key
     * (UNCHECKED_REASONS) first, then the others
     */
    skipped: {file: string; reason: SkipReason; detail?: string}[]
    /** all skips, including those beyond the list */
    skippedTotal: number
    /** all skips by reason (reasons with none left out) */
    skippedByReason: Partial<Record<SkipReason, number>>
    ms: number
  }
}

export const MAX_SKIPPED_LISTED = 1000
const PROGRESS_EVERY_FILES = 500
/**
 * A worker costs ~0.1 s to a first result (~0.6 s under tsx), and its answers cost this thread some
 * decoding. On 2 cores (bench trees: ~10 KB a file, ~70 us a file on one thread) a worker slowed a
 * 2,000-file scan from ~0.15 s to ~0.22 s and sped a 20,000-file one from ~1.3 s to ~1.05 s,
 * joining after 1,000 or 2,000 files alike.
 */
export const PARALLEL_AFTER = {files: 2000, bytes: 32 * 1024 * 1024}
const BATCH_FILES = 32

interface SkipRecord {
  /** 0 for a file that could hold a key (UNCHECKED_REASONS), 1 otherwise: the list keeps 0s first */
  rank: number
  seq: number
  file: string
  reason: SkipReason
  detail?: string
}

function defaultWorkers(): number {
  return Math.min(3, Math.max(0, os.availableParallelism() - 1))
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** One SharedArrayBuffer holding every known value, so that workers search them without copies. */
function shareKnownValues(known: PreparedKnownValue[]): Pick<WorkerInit, 'knownBytes' | 'known'> {
  if (known.length === 0) return {known: []}
  const total = known.reduce((n, k) => n + k.bytes.length, 0)
  const knownBytes = new SharedArrayBuffer(total)
  const view = new Uint8Array(knownBytes)
  let start = 0
  const list: WorkerInit['known'] = []
  for (const k of known) {
    view.set(k.bytes, start)
    list.push({start, length: k.bytes.length, label: k.label})
    start += k.bytes.length
  }
  return {knownBytes, known: list}
}

function resolveRoot(root: string): string {
  let real: string
  try {
    real = fs.realpathSync(path.resolve(root))
  } catch {
    // no command prefix: scan, resolve and bind all read the app folder through here
    throw new VaultError('INVALID_INPUT', `no such folder: ${root}`, {suggestions: ['pass the path of the app folder']})
  }
  if (!fs.statSync(real).isDirectory()) {
    throw new VaultError('INVALID_INPUT', `not a folder: ${root}`, {
      suggestions: [`pass the folder that holds it: ${path.dirname(path.resolve(root))}`],
    })
  }
  return real
}

export async function scanProject(options: ScanOptions): Promise<ScanResult> {
  const started = performance.now()
  const root = resolveRoot(options.root)
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES
  if (!Number.isInteger(maxFileBytes) || maxFileBytes <= 0) {
    throw new VaultError('INVALID_INPUT', `scan: the maximum file size must be a positive whole number of bytes, got ${maxFileBytes}`)
  }
  const workers = options.workers ?? defaultWorkers()
  const parallelAfter = options.parallelAfter ?? PARALLEL_AFTER
  const known = prepareKnownValues(options.knownValues)
  const ctx: FileContext = {sig: compileSignatures(options.providers), known, buffer: Buffer.allocUnsafe(maxFileBytes), maxFileBytes}
  const result: ScanResult = {root, evidence: [], leaks: [], manifests: [], stats: {files: 0, bytes: 0, leakOnly: 0, skipped: [], skippedTotal: 0, skippedByReason: {}, ms: 0}}
  const {stats} = result
  // Findings repeat a few strings many times, and must not keep file texts alive (see makeIntern).
  const intern = makeIntern()
  const analyzeHere = (abs: string, rel: string): FileOutcome => {
    const outcome = analyzeFile(ctx, abs, rel)
    if (outcome.ok) internEvidence(outcome.evidence, intern)
    return outcome
  }

  // Skips come back out of walk order from workers: keep the best ranked, then lowest sequence numbers only.
  let skips: SkipRecord[] = []
  const byRank = (a: SkipRecord, b: SkipRecord): number => a.rank - b.rank || a.seq - b.seq
  const skip = (seq: number, file: string, reason: SkipReason, detail?: string): void => {
    stats.skippedTotal++
    stats.skippedByReason[reason] = (stats.skippedByReason[reason] ?? 0) + 1
    const rank = UNCHECKED_REASONS.has(reason) ? 0 : 1
    skips.push(detail ? {rank, seq, file, reason, detail} : {rank, seq, file, reason})
    if (skips.length >= 2 * MAX_SKIPPED_LISTED) skips = skips.sort(byRank).slice(0, MAX_SKIPPED_LISTED)
  }
  /** Records one file's outcome; true when progress was reported (time to let the event loop run). */
  const record = (seq: number, rel: string, outcome: FileOutcome): boolean => {
    if (!outcome.ok) {
      skip(seq, rel, outcome.reason, outcome.detail)
      return false
    }
    stats.files++
    stats.bytes += outcome.length
    if (outcome.leakOnly) stats.leakOnly++
    for (const e of outcome.evidence) result.evidence.push(e)
    for (const l of outcome.leaks) result.leaks.push(l)
    if (outcome.manifest) result.manifests.push(outcome.manifest)
    if (stats.files % PROGRESS_EVERY_FILES !== 0) return false
    options.onProgress?.({files: stats.files, bytes: stats.bytes})
    return true
  }
  const runLocally = async (batch: Batch): Promise<void> => {
    for (let i = 0; i < batch.seqs.length; i++) {
      const rel = batch.files[2 * i + 1]
      record(batch.seqs[i], rel, analyzeHere(batch.files[2 * i], rel))
    }
    // Lets worker results, signals and timers in.
    await yieldToEventLoop()
  }

  let pool: ScanPool | undefined
  let shared: SharedArrayBuffer | undefined
  // Worker results are recorded from message events: an onProgress that throws must fail the scan, not the process.
  let failed: {error: unknown} | undefined
  const check = (): void => {
    if (failed) throw failed.error
  }
  try {
    let seq = 0
    let batch: Batch = {id: 0, files: [], seqs: []}
    const dispatch = async (): Promise<void> => {
      const full = batch
      batch = {id: full.id + 1, files: [], seqs: []}
      if (!pool!.trySend(full)) {
        // Workers only read and prefilter; finishing their answers is this thread's larger share.
        // Take in the answers that are ready (that frees room) before doing a whole batch here.
        await yieldToEventLoop()
        check()
        if (!pool!.trySend(full)) await runLocally(full)
      }
      for (const orphan of pool!.takeOrphans()) await runLocally(orphan)
      check()
    }
    for (const entry of walkProject(root)) {
      seq++
      if (entry.type === 'skipped') {
        skip(seq, entry.rel, entry.reason, entry.detail)
        continue
      }
      if (pool) {
        batch.files.push(entry.abs, entry.rel)
        batch.seqs.push(seq)
        if (batch.seqs.length === BATCH_FILES) await dispatch()
        continue
      }
      // Reading is synchronous (fastest for many small files): let signals and timers run now and then.
      if (record(seq, entry.rel, analyzeHere(entry.abs, entry.rel))) await yieldToEventLoop()
      if (workers > 0 && (stats.files >= parallelAfter.files || stats.bytes >= parallelAfter.bytes)) {
        const {ScanPool} = await import('./scan-pool.js')
        const sharing = shareKnownValues(known)
        shared = sharing.knownBytes
        pool = new ScanPool(
          workers,
          {providers: options.providers, maxFileBytes, ...sharing},
          (done, outcomes) => {
            try {
              for (let i = 0; i < outcomes.length; i++) record(done.seqs[i], done.files[2 * i + 1], outcomes[i])
            } catch (error) {
              failed ??= {error}
            }
          },
          {text: ctx, intern},
        )
      }
    }
    if (pool) {
      if (batch.seqs.length > 0) await dispatch()
      while (pool.inFlight > 0) {
        await pool.changed()
        check()
        for (const orphan of pool.takeOrphans()) await runLocally(orphan)
      }
      for (const orphan of pool.takeOrphans()) await runLocally(orphan)
      check()
    }
  } finally {
    await pool?.close()
    if (shared) new Uint8Array(shared).fill(0)
  }
  stats.skipped = skips
    .sort(byRank)
    .slice(0, MAX_SKIPPED_LISTED)
    .sort((a, b) => a.seq - b.seq)
    .map(({file, reason, detail}) => (detail ? {file, reason, detail} : {file, reason}))
  result.evidence.sort(compareEvidence)
  result.leaks.sort(compareLeaks)
  result.manifests.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
  options.onProgress?.({files: stats.files, bytes: stats.bytes})
  stats.ms = Math.round(performance.now() - started)
  return result
}
