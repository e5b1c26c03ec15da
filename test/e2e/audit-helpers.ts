/**
 * Local helpers for the audit end-to-end suites (test/e2e/audit*.test.ts): run the built binary with
 * NODE_ENV=production (under NODE_ENV=test oclif hunts for TypeScript sources on every start, which
 * costs seconds per spawn and prints a page of warnings), walk the on-disk record frames the way
 * src/audit/record.ts lays them out, and read `audit tail --json`.
 */
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, dirname, join} from 'node:path'

import {expect} from 'chai'

import {crc32} from '../../src/audit/checksum.js'
import {type CliHome, type CliOptions, type CliResult, explain, hasStackTrace, runCli} from '../helpers/cli.js'

/** One framed record: "CVA1" | LE32 len | payload | 32-byte mac | LE32 len | LE32 crc32. */
export interface Frame {
  offset: number
  size: number
  payloadStart: number
  payloadLength: number
  payload: Record<string, any>
}

export const HEADER = 8
export const MAC = 32
export const TRAILER = 8

/** Parse every whole frame of one segment file; throws on anything that is not a clean sequence. */
export function frames(bytes: Buffer): Frame[] {
  const out: Frame[] = []
  let offset = 0
  while (offset < bytes.length) {
    if (bytes.subarray(offset, offset + 4).toString('latin1') !== 'CVA1') throw new Error(`no record magic at offset ${offset}`)
    const length = bytes.readUInt32LE(offset + 4)
    const size = HEADER + length + MAC + TRAILER
    if (offset + size > bytes.length) throw new Error(`record at ${offset} runs past the end`)
    if (bytes.readUInt32LE(offset + HEADER + length + MAC) !== length) throw new Error(`record at ${offset}: lengths disagree`)
    const payload = JSON.parse(bytes.subarray(offset + HEADER, offset + HEADER + length).toString('utf8'))
    out.push({offset, size, payloadStart: offset + HEADER, payloadLength: length, payload})
    offset += size
  }
  return out
}

/** Recompute a frame's trailing CRC after editing it in place (so only the chain and MACs can catch the edit). */
export function fixCheck(bytes: Buffer, frame: Frame): void {
  const checkAt = frame.offset + frame.size - 4
  bytes.writeUInt32LE(crc32(bytes, frame.offset, checkAt), checkAt)
}

/** The live log and its archived segments (`<vault>.audit.NNNNNN`), archives first, ascending. */
export function auditFiles(vault: string): string[] {
  const live = `${vault}.audit`
  const prefix = `${basename(live)}.`
  const archives = readdirSync(dirname(vault)).filter((name) => name.startsWith(prefix) && /^\d{6,}$/.test(name.slice(prefix.length))).sort()
  return [...archives.map((name) => join(dirname(vault), name)), live]
}

/** All bytes of the log (every segment) for canary searches. */
export function allAuditBytes(vault: string): Buffer {
  return Buffer.concat(auditFiles(vault).map((file) => readFileSync(file)))
}

/** The built binary, in production mode; `env` is merged over the home's variables. */
export function cv(home: CliHome, args: string[], options: Omit<CliOptions, 'home'> = {}): Promise<CliResult> {
  return runCli(args, {...options, home, env: {NODE_ENV: 'production', ...options.env}})
}

/** Assert the exit code, no timeout and no stack trace; returns the result for chaining. */
export function expectExit(result: CliResult, code: number, what = ''): CliResult {
  expect(result.timedOut, `${what} ${explain(result)}`).to.equal(false)
  expect(result.code, `${what} ${explain(result)}`).to.equal(code)
  expect(hasStackTrace(result.stderr), `${what} ${explain(result)}`).to.equal(false)
  return result
}

export interface TailRecord {
  seq: number
  ts: string
  type: string
  outcome: string
  segment: number
  pid: number
  sealed: boolean
  prev: string
  hash: string
  asset?: string
  provider?: string
  capability?: string
  reason?: string
  data?: Record<string, unknown>
}

/** `audit tail --json` with extra flags; asserts exit 0 and the documented envelope. */
export async function tailJson(home: CliHome, env: Record<string, string | undefined>, flags: string[] = ['-n', '1000'], input?: string): Promise<TailRecord[]> {
  const result = expectExit(await cv(home, ['audit', 'tail', '--json', ...flags], {env, input}), 0, 'audit tail --json')
  const doc = JSON.parse(result.stdout)
  expect(doc.status).to.equal(0)
  expect(doc.result).to.be.an('object')
  expect(doc.result.records).to.be.an('array')
  return doc.result.records as TailRecord[]
}

/** Run with bounded parallelism. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  let next = 0
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, async () => {
    while (next < items.length) {
      const index = next++
      out[index] = await fn(items[index], index)
    }
  }))
  return out
}

/** A tiny app the scanner resolves to ai.openai.inference (manifest + import + constructor). */
export function makeOpenAiApp(parent: string): string {
  const app = mkdtempSync(join(parent || tmpdir(), 'app-'))
  mkdirSync(join(app, 'src'))
  writeFileSync(join(app, 'package.json'), JSON.stringify({name: 'shop', dependencies: {openai: '4'}}))
  writeFileSync(join(app, 'src', 'index.js'), 'import OpenAI from "openai"\nconst client = new OpenAI()\nexport default client\n')
  return app
}

/** A value in the legacy OpenAI key format built around a random canary (so it is unique and searchable). */
export function openAiKey(canary: string): string {
  return `sk-${canary.slice(0, 20)}T3BlbkFJ${canary.slice(20, 40)}`
}
