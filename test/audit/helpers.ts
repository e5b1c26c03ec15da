import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {VaultError} from '../../src/cli/errors.js'
import type {AuditAnchor, AuditEvent} from '../../src/audit/events.js'
import {ZERO_HASH_HEX} from '../../src/audit/hash.js'
import {AuditLog} from '../../src/audit/log.js'
import {encodeRecord, payloadFor} from '../../src/audit/record.js'

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cv-audit-'))
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, {recursive: true, force: true})
}

export function randomKey(): Buffer {
  return randomBytes(32)
}

/** A random 40-char canary that must never show up in the log. */
export function canary(): string {
  return `CANARY_${randomBytes(20).toString('hex')}`.slice(0, 40)
}

export function event(i: number, extra: Partial<AuditEvent> = {}): AuditEvent {
  return {type: 'run.allow', outcome: 'allow', asset: `asset-${i % 5}`, provider: 'openai', data: {i, names: ['OPENAI_API_KEY']}, ...extra}
}

/** What the product writes unsealed: a denial from before a key was available (see mayBeUnsealed). */
export function denial(i: number): AuditEvent {
  return event(i, {type: 'session.deny', outcome: 'deny', reason: 'no session'})
}

export function expectVaultError(fn: () => unknown, code: string, exitCode: number): VaultError {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  expect(caught, `expected VaultError ${code}`).to.be.instanceOf(VaultError)
  const error = caught as VaultError
  expect(error.code, error.message).to.equal(code)
  expect(error.exitCode).to.equal(exitCode)
  return error
}

/** Offsets of every record start in a segment file, read through the trailers from the end. */
export function recordOffsets(file: string): number[] {
  const bytes = fs.readFileSync(file)
  const offsets: number[] = []
  let end = bytes.length
  while (end > 0) {
    const length = bytes.readUInt32LE(end - 8)
    end -= length + 48
    offsets.unshift(end)
  }
  return offsets
}

export interface MixedLog {
  log: AuditLog
  /** the last sealed record's anchor; the unsealed denial after it is what a vault sees before an unlock */
  anchor: AuditAnchor
  /** the file as written, to restore after a test damaged it */
  pristine: Buffer
  offsets: number[]
}

/** `count` records, two of every three sealed with `key`, then one unsealed denial after the anchor. */
export function writeMixedLog(file: string, key: Buffer, count: number): MixedLog {
  const log = new AuditLog({path: file})
  let anchor: AuditAnchor | undefined
  for (let i = 0; i < count; i++) {
    const sealed = i % 3 !== 1
    const a = log.append(sealed ? event(i) : {type: 'session.deny', outcome: 'deny', reason: 'no session'}, sealed ? key : null)
    if (sealed) anchor = a
  }
  log.append({type: 'session.deny', outcome: 'deny'}, null)
  return {log, anchor: anchor!, pristine: fs.readFileSync(file), offsets: recordOffsets(file)}
}

/**
 * What anyone who can write the log can do without the key: append records with correct unkeyed
 * chain hashes, valid frame checks and a zero MAC (sealed: false), continuing from the live file's head.
 */
export function forgeUnsealed(log: AuditLog, events: AuditEvent[]): number[] {
  const head = log.head()
  let prev = head?.head ?? ZERO_HASH_HEX
  let seq = (head?.seq ?? -1) + 1
  const seqs: number[] = []
  const parts: Buffer[] = []
  for (const forged of events) {
    const record = encodeRecord(payloadFor(forged, {seq, prev, segment: head?.segment ?? 0, ts: new Date().toISOString(), pid: 1, sealed: false}), Buffer.from(prev, 'hex'), null)
    parts.push(record.bytes)
    seqs.push(seq++)
    prev = record.hash.toString('hex')
  }
  fs.appendFileSync(log.path, Buffer.concat(parts))
  return seqs
}

/** The QA engineer's forgery: an approval nobody gave. */
export const FORGED_APPROVAL: AuditEvent = {type: 'grant.approve', outcome: 'ok', asset: 'shop', reason: 'FORGED by attacker', data: {grant: 'g_FORGED'}}
