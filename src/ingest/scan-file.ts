/**
 * The per-file half of a scan (read, known values, keyword prefilter, leaks, evidence, manifest),
 * shared by the calling thread and the scan workers so that both produce identical results.
 */
import path from 'node:path'
import {classifyFile, extractEvidence, isEnvExampleName, type Evidence} from './evidence.js'
import {findFormatLeaks, findKnownValueLeaks, type Leak, type PreparedKnownValue} from './leaks.js'
import {LineIndex} from './lines.js'
import {manifestType, parseManifest, type Manifest} from './manifests.js'
import {findKeywordHits, type Signatures} from './signatures.js'
import {readCandidate, type SkipReason} from './walk.js'

export interface FileContext {
  sig: Signatures
  known: PreparedKnownValue[]
  /** reused for every file: memory stays flat with tree size */
  buffer: Buffer
  maxFileBytes: number
}

export type FileOutcome =
  | {ok: false; reason: SkipReason; detail?: string}
  | {ok: true; length: number; evidence: Evidence[]; leaks: Leak[]; manifest?: Manifest}

const NONE: never[] = []

export function analyzeFile(ctx: FileContext, abs: string, rel: string): FileOutcome {
  const read = readCandidate(abs, ctx.buffer, ctx.maxFileBytes)
  if (!read.ok) return read.detail === undefined ? {ok: false, reason: read.reason} : {ok: false, reason: read.reason, detail: read.detail}
  const {sig, known} = ctx
  const content = ctx.buffer.subarray(0, read.length)
  let leaks: Leak[] = known.length > 0 ? findKnownValueLeaks(rel, content, known) : NONE
  // latin1 maps bytes 1:1 to chars: the cheapest decode, and keys, env names and module names are ASCII.
  const text = content.toString('latin1')
  const lines = new LineIndex(text)
  const hits = findKeywordHits(sig, content)
  if (hits.length > 0) {
    const format = findFormatLeaks({rel, text, lines, hits, exampleFile: isEnvExampleName(path.posix.basename(rel))}, sig, known)
    if (format.length > 0) leaks = leaks.length > 0 ? [...leaks, ...format] : format
  }
  if (manifestType(rel)) {
    // package.json and friends hold no code; requirements.txt and Gemfile are handled as manifests only.
    const parsed = parseManifest(rel, content.toString('utf8'), sig)
    if (!parsed) return {ok: true, length: read.length, evidence: NONE, leaks}
    return {ok: true, length: read.length, evidence: parsed.evidence, leaks, manifest: parsed.manifest}
  }
  const kind = classifyFile(rel)
  const evidence = kind === 'other' ? NONE : extractEvidence({rel, text, lines, kind, hits}, sig)
  return {ok: true, length: read.length, evidence, leaks}
}
