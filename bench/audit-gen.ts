/**
 * Generate a sealed audit log with N records quickly (records built in memory, written in 8 MiB
 * chunks), for benchmarks and manual testing of `audit tail/verify` on big logs.
 * Usage: npx tsx bench/audit-gen.ts <path> <count>   (prints the anchor JSON; uses a random key)
 */
import fs from 'node:fs'
import {pathToFileURL} from 'node:url'

import sodium from 'sodium-native'

import type {AuditAnchor, AuditEvent} from '../src/audit/events.js'
import {ZERO_HASH} from '../src/audit/hash.js'
import {encodeRecord, payloadFor} from '../src/audit/record.js'

const TYPES = ['run.allow', 'run.exit', 'secret.set', 'grant.approve', 'session.unlock']
const FLUSH_BYTES = 8 * 1024 * 1024

function sampleEvent(i: number, sealed: boolean): AuditEvent {
  return {
    // unsealed records are denials: verify refuses any other (see mayBeUnsealed)
    type: sealed ? TYPES[i % TYPES.length] : 'auth.deny', outcome: sealed ? 'allow' : 'deny', asset: `asset-${i % 17}`, provider: 'openai',
    data: {names: ['OPENAI_API_KEY'], exitCode: 0, durationMs: i % 1000},
  }
}

/** Write `count` records (every 10th an unsealed denial) to a fresh file; returns the last sealed anchor. */
export function generateAuditLog(file: string, count: number, key: Buffer): AuditAnchor | null {
  const fd = fs.openSync(file, 'wx', 0o600)
  try {
    let prev: Buffer = ZERO_HASH
    let offset = 0
    let anchor: AuditAnchor | null = null
    let pending: Buffer[] = []
    let pendingBytes = 0
    const start = Date.parse('2025-01-01T00:00:00.000Z')
    for (let seq = 0; seq < count; seq++) {
      const sealed = seq % 10 !== 9
      const payload = payloadFor(sampleEvent(seq, sealed), {
        seq, prev: prev.toString('hex'), segment: 0, ts: new Date(start + seq * 1000).toISOString(), pid: 4242, sealed,
      })
      const record = encodeRecord(payload, prev, sealed ? key : null)
      if (sealed) anchor = {segment: 0, seq, offset, head: record.hash.toString('hex')}
      prev = record.hash
      offset += record.bytes.length
      pending.push(record.bytes)
      pendingBytes += record.bytes.length
      if (pendingBytes >= FLUSH_BYTES) {
        fs.writeSync(fd, Buffer.concat(pending, pendingBytes))
        pending = []
        pendingBytes = 0
      }
    }
    if (pendingBytes > 0) fs.writeSync(fd, Buffer.concat(pending, pendingBytes))
    fs.fsyncSync(fd)
    return anchor
  } finally {
    fs.closeSync(fd)
  }
}

export function randomAuditKey(): Buffer {
  const key = Buffer.alloc(32)
  sodium.randombytes_buf(key)
  return key
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, count] = process.argv.slice(2)
  if (!file || !Number.isSafeInteger(Number(count))) {
    console.error('usage: npx tsx bench/audit-gen.ts <path> <count>')
    process.exit(2)
  }
  console.log(JSON.stringify(generateAuditLog(file, Number(count), randomAuditKey())))
}
