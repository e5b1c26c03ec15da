import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {crc32} from '../../src/audit/checksum.js'
import type {AuditAnchor} from '../../src/audit/events.js'
import {AuditLog} from '../../src/audit/log.js'
import {encodeRecord, payloadFor} from '../../src/audit/record.js'
import {guessRecordStart} from '../../src/audit/scan.js'
import {type AuditVerifyReport, type VerifyTuning, verifyLog} from '../../src/audit/verify.js'
import type {AnchorCheckOptions} from '../../src/audit/anchor.js'
import {denial, event, randomKey, recordOffsets, removeDir, tempDir, writeMixedLog} from './helpers.js'

/**
 * The worker path must give exactly the report of a single sequential walk: same problem, same
 * first bad seq, same counts. Small logs are forced through it (by default it starts at 32 MiB).
 */
function compare(file: string, key: Buffer, anchor: AuditAnchor | null, options: AnchorCheckOptions = {}, threads = 3): {report: AuditVerifyReport; workerRanges: number} {
  const sequential = verifyLog(file, key, anchor, options, {threads: 1})
  const stats = {workerRanges: 0, ownRanges: 0}
  const tuning: VerifyTuning = {threads, minSegmentBytes: 0, minLogBytes: 0, stats}
  const parallel = verifyLog(file, key, anchor, options, tuning)
  expect(parallel).to.deep.equal(sequential)
  return {report: sequential, workerRanges: stats.workerRanges}
}

describe('audit verify on worker threads', () => {
  let dir: string
  let file: string
  let key: Buffer
  let anchor: AuditAnchor
  let pristine: Buffer
  let offsets: number[]

  before(() => {
    dir = tempDir()
    file = path.join(dir, 'vault.cv.audit')
    key = randomKey()
    ;({anchor, pristine, offsets} = writeMixedLog(file, key, 3000))
  })
  after(() => removeDir(dir))
  afterEach(() => fs.writeFileSync(file, pristine))

  it('gives the sequential report on a sound log, with ranges checked by workers', async () => {
    // the first call starts the workers (a second or more under tsx); wait until they take part
    let result = compare(file, key, anchor)
    for (let n = 0; n < 100 && result.workerRanges === 0; n++) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      result = compare(file, key, anchor)
    }
    expect(result.workerRanges).to.be.greaterThan(0)
    expect(result.report).to.deep.include({ok: true, records: 3001, segments: 1, sealed: 2000})
    expect(compare(file, key, null).report.ok).to.equal(true)
    expect(compare(file, key, anchor, {}, 2).report.ok).to.equal(true)
  })

  it('names the same first bad record for random flips, and around the split points', () => {
    const fd = fs.openSync(file, 'r')
    const splits = [1, 2].map((k) => guessRecordStart(fd, Math.floor((pristine.length * k) / 3), pristine.length))
    fs.closeSync(fd)
    const targets: number[] = []
    for (const split of splits) {
      for (let delta = -400; delta <= 400; delta += 23) targets.push(split + delta)
      targets.push(split - 1, split, split + 1)
    }
    for (let n = 0; n < 60; n++) targets.push(Math.floor(Math.random() * pristine.length))
    let fromWorkers = 0
    for (const offset of targets) {
      const bytes = Buffer.from(pristine)
      bytes[offset] ^= 1 << (offset % 8)
      fs.writeFileSync(file, bytes)
      const {report, workerRanges} = compare(file, key, anchor)
      expect(report.ok, `offset ${offset}`).to.equal(false)
      fromWorkers += workerRanges
    }
    expect(fromWorkers).to.be.greaterThan(0)
  })

  it('gives the same report for edits with a recomputed frame check at the records around the split points', () => {
    const fd = fs.openSync(file, 'r')
    const splits = [1, 2].map((k) => guessRecordStart(fd, Math.floor((pristine.length * k) / 3), pristine.length))
    fs.closeSync(fd)
    // change the character after `after` to another one from `alphabet` (same length, so the frame stays whole)
    const edits = [
      {after: '"prev":"', alphabet: '0123456789abcdef'}, {after: '"seq":', alphabet: '0123456789'},
      {after: '"outcome":"', alphabet: 'xyz'}, {after: '"ts":"', alphabet: '0123456789'}, {after: '"sealed":', alphabet: 'tf'},
      {after: '"seq":', alphabet: '0123456789', last: true},
    ]
    let fromWorkers = 0
    for (const split of splits) {
      const at = offsets.indexOf(split)
      expect(at).to.be.greaterThan(0)
      for (const seq of [at - 1, at, at + 1]) {
        for (const {after, alphabet, last} of edits) {
          const length = pristine.readUInt32LE(offsets[seq] + 4)
          const text = pristine.toString('utf8', offsets[seq] + 8, offsets[seq] + 8 + length)
          const start = text.indexOf(after) + after.length
          if (start < after.length) continue
          // the value's first character, or its last (a seq stays a valid number)
          const i = last ? text.indexOf(',', start) - 1 : start
          const replacement = [...alphabet].find((c) => c !== text[i])!
          const edited = Buffer.from(text.slice(0, i) + replacement + text.slice(i + 1), 'utf8')
          const bytes = Buffer.from(pristine)
          edited.copy(bytes, offsets[seq] + 8)
          const checkAt = offsets[seq] + 8 + length + 32 + 4
          bytes.writeUInt32LE(crc32(bytes, offsets[seq], checkAt), checkAt)
          fs.writeFileSync(file, bytes)
          const {report, workerRanges} = compare(file, key, anchor)
          expect(report, `${seq} ${after}`).to.include({ok: false})
          expect(report.firstBadSeq).to.be.within(seq, seq + 1)
          fromWorkers += workerRanges
        }
      }
    }
    expect(fromWorkers).to.be.greaterThan(0)
  })

  it('gives the same report after truncation anywhere (torn tails, missing anchor)', () => {
    for (const end of [offsets[1500], offsets[1500] + 5, offsets[2999], offsets[3000] + 17, pristine.length - 1, 100]) {
      fs.writeFileSync(file, pristine.subarray(0, end))
      compare(file, key, anchor)
    }
  })

  it('counts sealed records after the anchor across ranges as one walk does', () => {
    const early = {segment: 0, seq: 300, offset: offsets[300], head: ''}
    const log = new AuditLog({path: file})
    early.head = log.tail({limit: 4000}).find((r) => r.seq === 300)!.hash
    for (const allowSealedAfter of [0, 1, 700, 1500, 1798, 1799, 5000]) {
      const {report} = compare(file, key, early, {allowSealedAfter})
      expect(report.ok, `allow ${allowSealedAfter}`).to.equal(allowSealedAfter >= 1799)
    }
  })

  it('gives the same report for a wrong key and for a re-chained log', () => {
    expect(compare(file, randomKey(), anchor).report).to.include({ok: false, firstBadSeq: 0})
    const records = recordOffsets(file)
    const bytes = Buffer.from(pristine)
    // zero the MAC of a sealed record in the last third: "unsealed record carries a MAC" elsewhere, a MAC failure here
    const seq = 2500 + (2500 % 3 === 1 ? 1 : 0)
    const length = bytes.readUInt32LE(records[seq] + 4)
    bytes.fill(0, records[seq] + 8 + length, records[seq] + 8 + length + 32)
    fs.writeFileSync(file, bytes)
    expect(compare(file, key, anchor).report).to.include({ok: false, firstBadSeq: seq})
  })

  it('recovers from a split guessed inside a damaged record (fake frames in its payload)', () => {
    // small records, one big record across the middle, small records: the midpoint falls inside it
    const other = path.join(dir, 'split.audit')
    const log = new AuditLog({path: other})
    let last: AuditAnchor | null = null
    for (let i = 0; i < 400; i++) last = log.append(event(i), key)
    const big = log.append(event(400, {data: Object.fromEntries(Array.from({length: 14}, (_, k) => [`k${k}`, 'r'.repeat(4000)]))}), key)
    for (let i = 401; i < 800; i++) last = log.append(event(i), key)
    const tail = log.tail({limit: 1000})
    const bytes = fs.readFileSync(other)
    const length = bytes.readUInt32LE(big.offset + 4)
    const middle = Math.floor(bytes.length / 2)
    expect(middle).to.be.within(big.offset + 1000, big.offset + length - 2000)
    // copy two whole records into the big payload just after the midpoint
    const following = recordOffsets(other)
    bytes.subarray(following[401], following[403]).copy(bytes, middle + 100)
    fs.writeFileSync(other, bytes)
    const fd = fs.openSync(other, 'r')
    expect(guessRecordStart(fd, middle, bytes.length)).to.equal(middle + 100)
    fs.closeSync(fd)
    expect(compare(other, key, last, {}, 2).report).to.include({ok: false, firstBadSeq: 400, problem: 'damaged record (record check failed)'})
    // fake frames that claim exactly the chain point where the walk stops (seq 400 after 399):
    // only the rule that a worker's range must begin where the walk ended rejects them
    const fake400 = encodeRecord(payloadFor(event(9999), {seq: 400, prev: tail[399].hash, segment: 0, ts: tail[400].ts, pid: 1, sealed: true}), Buffer.from(tail[399].hash, 'hex'), key)
    const fake401 = encodeRecord(payloadFor(event(9998), {seq: 401, prev: fake400.hash.toString('hex'), segment: 0, ts: tail[401].ts, pid: 1, sealed: true}), fake400.hash, key)
    const withFakes = Buffer.from(bytes)
    Buffer.concat([fake400.bytes, fake401.bytes]).copy(withFakes, middle + 100)
    fs.writeFileSync(other, withFakes)
    expect(compare(other, key, last, {}, 2).report).to.include({ok: false, firstBadSeq: 400, problem: 'damaged record (record check failed)'})
    // the same with the frame check recomputed: now the payload itself is what fails
    const checkAt = big.offset + 8 + length + 32 + 4
    bytes.writeUInt32LE(crc32(bytes, big.offset, checkAt), checkAt)
    fs.writeFileSync(other, bytes)
    expect(compare(other, key, last, {}, 2).report).to.include({ok: false, firstBadSeq: 400, problem: 'payload is not JSON'})
  })

  it('gives the same report across rotated segments', () => {
    const rotated = path.join(dir, 'rotated', 'vault.cv.audit')
    fs.mkdirSync(path.dirname(rotated))
    const log = new AuditLog({path: rotated, segmentBytes: 64 * 1024})
    let last: AuditAnchor | null = null
    for (let i = 0; i < 1500; i++) last = i % 5 === 0 ? log.append(denial(i), null) : log.append(event(i), key)
    const {report, workerRanges} = compare(rotated, key, last)
    expect(report.ok).to.equal(true)
    expect(report.segments).to.be.greaterThan(5)
    expect(workerRanges).to.be.greaterThan(0)
    const archive = `${rotated}.000002`
    const bytes = fs.readFileSync(archive)
    bytes[Math.floor(bytes.length / 2)] ^= 4
    fs.writeFileSync(archive, bytes)
    expect(compare(rotated, key, last).report.ok).to.equal(false)
    fs.writeFileSync(archive, bytes.subarray(0, bytes.length - 10))
    expect(compare(rotated, key, last).report.problem).to.be.a('string')
  })
})
