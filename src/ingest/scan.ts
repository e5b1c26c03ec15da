/**
 * scanProject: walk -> per file (known values, keyword prefilter, leaks, evidence, manifests).
 * One reusable read buffer and one file at a time keep memory flat with tree size; only the
 * findings (and at most MAX_SKIPPED_LISTED skip records) accumulate.
 *
 * A path that is a file, not a folder, is refused (INVALID_INPUT): apps are folders, and app
 * attribution needs a root.
 */
import fs from 'node:fs'
import path from 'node:path'
import {VaultError} from '../cli/errors.js'
import type {Provider} from '../secrets/providers/schema.js'
import {classifyFile, compareEvidence, extractEvidence, isEnvExampleName, type Evidence} from './evidence.js'
import {compareLeaks, findFormatLeaks, findKnownValueLeaks, prepareKnownValues, type KnownValue, type Leak} from './leaks.js'
import {LineIndex} from './lines.js'
import {manifestType, parseManifest, type Manifest} from './manifests.js'
import {compileSignatures, findKeywordHits} from './signatures.js'
import {DEFAULT_MAX_FILE_BYTES, readCandidate, walkProject, type SkipReason} from './walk.js'

export interface ScanOptions {
  root: string
  providers: Provider[]
  /** the vault's stored values, searched byte for byte (values under 8 bytes are ignored); Buffers are not copied */
  knownValues?: KnownValue[]
  /** files over this size are skipped 'too-large'; default 2 MiB */
  maxFileBytes?: number
  onProgress?: (progress: {files: number; bytes: number}) => void
}

export interface ScanResult {
  /** the absolute, symlink-resolved folder that was scanned */
  root: string
  evidence: Evidence[]
  leaks: Leak[]
  manifests: Manifest[]
  stats: {
    files: number
    bytes: number
    /** the first MAX_SKIPPED_LISTED skips, in walk order */
    skipped: {file: string; reason: SkipReason; detail?: string}[]
    /** all skips, including those beyond the list */
    skippedTotal: number
    ms: number
  }
}

export const MAX_SKIPPED_LISTED = 1000
const PROGRESS_EVERY_FILES = 500

function resolveRoot(root: string): string {
  let real: string
  try {
    real = fs.realpathSync(path.resolve(root))
  } catch {
    throw new VaultError('INVALID_INPUT', `scan: no such folder: ${root}`, {suggestions: ['pass the path of the app folder to scan']})
  }
  if (!fs.statSync(real).isDirectory()) {
    throw new VaultError('INVALID_INPUT', `scan: not a folder: ${root}`, {
      suggestions: [`scan the folder that holds it: ${path.dirname(path.resolve(root))}`],
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
  const sig = compileSignatures(options.providers)
  const known = prepareKnownValues(options.knownValues)
  const buffer = Buffer.allocUnsafe(maxFileBytes)
  const result: ScanResult = {root, evidence: [], leaks: [], manifests: [], stats: {files: 0, bytes: 0, skipped: [], skippedTotal: 0, ms: 0}}
  const skip = (file: string, reason: SkipReason, detail?: string): void => {
    result.stats.skippedTotal++
    if (result.stats.skipped.length < MAX_SKIPPED_LISTED) result.stats.skipped.push(detail ? {file, reason, detail} : {file, reason})
  }

  for (const entry of walkProject(root)) {
    if (entry.type === 'skipped') {
      skip(entry.rel, entry.reason, entry.detail)
      continue
    }
    const read = readCandidate(entry.abs, buffer, maxFileBytes)
    if (!read.ok) {
      skip(entry.rel, read.reason, read.detail)
      continue
    }
    const content = buffer.subarray(0, read.length)
    result.stats.files++
    result.stats.bytes += read.length
    if (known.length > 0) result.leaks.push(...findKnownValueLeaks(entry.rel, content, known))
    // latin1 maps bytes 1:1 to chars: the cheapest decode, and keys, env names and module names are ASCII.
    const text = content.toString('latin1')
    const lines = new LineIndex(text)
    const hits = findKeywordHits(sig, content)
    const name = path.posix.basename(entry.rel)
    if (hits.length > 0) {
      result.leaks.push(...findFormatLeaks({rel: entry.rel, text, lines, hits, exampleFile: isEnvExampleName(name)}, sig, known))
    }
    if (manifestType(entry.rel)) {
      const parsed = parseManifest(entry.rel, content.toString('utf8'), sig)
      if (parsed) {
        result.manifests.push(parsed.manifest)
        result.evidence.push(...parsed.evidence)
      }
      // package.json and friends hold no code; requirements.txt and Gemfile are handled as manifests only.
      continue
    }
    const kind = classifyFile(entry.rel)
    if (kind !== 'other') result.evidence.push(...extractEvidence({rel: entry.rel, text, lines, kind, hits}, sig))

    if (result.stats.files % PROGRESS_EVERY_FILES === 0) {
      options.onProgress?.({files: result.stats.files, bytes: result.stats.bytes})
      // Reading is synchronous (fastest for many small files): let signals and timers run now and then.
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  result.evidence.sort(compareEvidence)
  result.leaks.sort(compareLeaks)
  result.manifests.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
  options.onProgress?.({files: result.stats.files, bytes: result.stats.bytes})
  result.stats.ms = Math.round(performance.now() - started)
  return result
}
