/**
 * The per-file half of a scan, shared by the calling thread and the scan workers so that both
 * produce identical results. It comes in two halves: scanFile works on bytes (read, known values,
 * keyword prefilter) and finishFile on text (format leaks, manifest, evidence). A worker does the
 * first half into memory shared with the caller, which does the second (see scan-pool.ts);
 * analyzeFile does both.
 */
import path from 'node:path'
import {classifyFile, extractEvidence, isEnvExampleName, type Evidence} from './evidence.js'
import type {KeywordHit} from './keyword-scanner.js'
import {findFormatLeaks, findKnownValueLeaks, type Leak, type PreparedKnownValue} from './leaks.js'
import {isLeakOnlyPath} from './leak-only.js'
import {LineIndex} from './lines.js'
import {manifestType, parseManifest, type Manifest} from './manifests.js'
import {readCandidate, type SkipReason} from './read.js'
import {findKeywordHits, type Signatures} from './signatures.js'

/** What the text half needs. */
export interface TextContext {
  sig: Signatures
  known: PreparedKnownValue[]
}

/** What the byte half needs. */
export interface ByteContext extends TextContext {
  maxFileBytes: number
}

export interface FileContext extends ByteContext {
  /** reused for every file: memory stays flat with tree size */
  buffer: Buffer
}

export type FileOutcome =
  | {ok: false; reason: SkipReason; detail?: string}
  /** leakOnly: build output or minified, checked for leaks only (leak-only.ts) */
  | {ok: true; length: number; evidence: Evidence[]; leaks: Leak[]; manifest?: Manifest; leakOnly?: true}

/** The byte half's findings: all the text half needs besides the bytes themselves. */
export type Scanned =
  | {ok: false; reason: SkipReason; detail?: string}
  | {ok: true; length: number; hits: KeywordHit[]; leaks: Leak[]}

const NONE: never[] = []

/** Reads a file into `into(size)` (see readCandidate), then searches its bytes for known values and keywords. */
export function scanFile(ctx: ByteContext, abs: string, rel: string, into: (size: number) => Buffer): Scanned {
  let buffer: Buffer | undefined
  const read = readCandidate(abs, (size) => (buffer = into(size)), ctx.maxFileBytes)
  if (!read.ok) return read.detail === undefined ? {ok: false, reason: read.reason} : {ok: false, reason: read.reason, detail: read.detail}
  const content = buffer!.subarray(0, read.length)
  const leaks = ctx.known.length > 0 ? findKnownValueLeaks(rel, content, ctx.known) : NONE
  return {ok: true, length: read.length, hits: findKeywordHits(ctx.sig, content), leaks}
}

/** The rest of a file's analysis, from its bytes (`content`) and what scanFile found in them. */
export function finishFile(ctx: TextContext, rel: string, content: Buffer, scanned: Scanned & {ok: true}): FileOutcome {
  const {sig, known} = ctx
  const {length, hits} = scanned
  let leaks = scanned.leaks
  // latin1 maps bytes 1:1 to chars: the cheapest decode, and keys, env names and module names are ASCII.
  const text = content.toString('latin1')
  const lines = new LineIndex(text)
  const kind = classifyFile(rel)
  if (hits.length > 0) {
    const code = kind === 'js' || kind === 'py' || kind === 'go' || kind === 'rb' || kind === 'php' || kind === 'rs'
    const format = findFormatLeaks({rel, text, lines, hits, exampleFile: isEnvExampleName(path.posix.basename(rel)), code}, sig, known)
    if (format.length > 0) leaks = leaks.length > 0 ? [...leaks, ...format] : format
  }
  if (isLeakOnlyPath(rel)) return {ok: true, length, evidence: NONE, leaks, leakOnly: true}
  if (manifestType(rel)) {
    // package.json and friends hold no code; requirements.txt and Gemfile are handled as manifests only.
    const parsed = parseManifest(rel, content.toString('utf8'), sig)
    if (!parsed) return {ok: true, length, evidence: NONE, leaks}
    return {ok: true, length, evidence: parsed.evidence, leaks, manifest: parsed.manifest}
  }
  const evidence = kind === 'other' ? NONE : extractEvidence({rel, text, lines, kind, hits}, sig)
  return {ok: true, length, evidence, leaks}
}

export function analyzeFile(ctx: FileContext, abs: string, rel: string): FileOutcome {
  const scanned = scanFile(ctx, abs, rel, () => ctx.buffer)
  if (!scanned.ok) return scanned
  return finishFile(ctx, rel, ctx.buffer.subarray(0, scanned.length), scanned)
}

/*
 * Worker -> caller wire format, per file: [0, reason, detail] for a skip, else [1, start, length,
 * hits, known-value leaks], where start places the bytes in the worker's ring and hits (offset,
 * keyword, ...) and leaks (line, label, preview, ...) are flattened. JSON: cheaper than the
 * structured clone of objects, and the decoded ones have the same properties in the same order as
 * scanFile's.
 */
type WireScanned = [0, SkipReason, string | null] | [1, number, number, (number | string)[], (number | string | null)[]]

/** `starts[i]` is where file i's bytes are in the ring (ignored for skips). */
export function encodeScanned(scanned: Scanned[], starts: number[]): string {
  const wire = scanned.map((s, i): WireScanned => {
    if (!s.ok) return [0, s.reason, s.detail ?? null]
    const hits: (number | string)[] = []
    for (const h of s.hits) hits.push(h.offset, h.keyword)
    const leaks: (number | string | null)[] = []
    for (const l of s.leaks) leaks.push(l.line, l.provider, l.preview)
    return [1, starts[i], s.length, hits, leaks]
  })
  return JSON.stringify(wire)
}

/** Decodes encodeScanned() for the files `rels`: each file's findings and where its bytes start. */
export function decodeScanned(json: string, rels: string[]): {scanned: Scanned; start: number}[] {
  const wire = JSON.parse(json) as WireScanned[]
  return wire.map((w, i) => {
    if (w[0] === 0) return {scanned: w[2] === null ? {ok: false, reason: w[1]} : {ok: false, reason: w[1], detail: w[2]}, start: 0}
    const [, start, length, flatHits, flatLeaks] = w
    const hits: KeywordHit[] = []
    for (let k = 0; k < flatHits.length; k += 2) hits.push({offset: flatHits[k] as number, keyword: flatHits[k + 1] as string})
    const leaks: Leak[] = []
    for (let k = 0; k < flatLeaks.length; k += 3) {
      leaks.push({file: rels[i], line: flatLeaks[k] as number, rule: 'vault-secret', provider: flatLeaks[k + 1] as string | null, preview: flatLeaks[k + 2] as string})
    }
    return {scanned: {ok: true, length, hits, leaks: leaks.length > 0 ? leaks : NONE}, start}
  })
}

/** A string table: findings repeat a few strings (kinds, providers, env names) many times over. */
export type Intern = (value: string) => string

/**
 * One copy of each distinct string for a whole scan. A regex capture of 13 characters or more is
 * a slice that keeps its file's whole text alive, so the first copy kept of a long one is a fresh
 * string (JSON.parse builds one), never the slice itself.
 */
export function makeIntern(): Intern {
  const table = new Map<string, string>()
  return (value) => {
    let kept = table.get(value)
    if (kept === undefined) {
      kept = value.length < 13 ? value : (JSON.parse(JSON.stringify(value)) as string)
      table.set(kept, kept)
    }
    return kept
  }
}

/** Interns the strings of findings (see makeIntern). */
export function internEvidence(evidence: Evidence[], intern: Intern): void {
  for (const e of evidence) {
    if (e.detail !== undefined) e.detail = intern(e.detail)
    if (e.env !== undefined) e.env = intern(e.env)
  }
}
