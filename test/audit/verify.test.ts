import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import type {AuditAnchor} from '../../src/audit/events.js'
import type {AuditLog} from '../../src/audit/log.js'
import {crc32} from '../../src/audit/checksum.js'
import {verifyAudit} from '../../src/audit/query.js'
import {verifyLog} from '../../src/audit/verify.js'
import {VaultError} from '../../src/cli/errors.js'
import {type StoredPayload, encodeRecord, parsePayload} from '../../src/audit/record.js'
import {expectVaultError, randomKey, recordOffsets, removeDir, tempDir, writeMixedLog} from './helpers.js'

/** The attacker's re-chain: same contents (or `edit`ed), every record unsealed, hashes recomputed without the key. */
function rechain(file: string, edit: (payload: StoredPayload) => StoredPayload = (payload) => payload): void {
  const bytes = fs.readFileSync(file)
  const out: Buffer[] = []
  let prev: Buffer = Buffer.alloc(32)
  for (const offset of recordOffsets(file)) {
    const length = bytes.readUInt32LE(offset + 4)
    const payload = parsePayload(bytes.subarray(offset + 8, offset + 8 + length))
    if (typeof payload === 'string') throw new Error(payload)
    const encoded = encodeRecord({...edit(payload), prev: prev.toString('hex'), sealed: false}, prev, null)
    out.push(encoded.bytes)
    prev = encoded.hash
  }
  fs.writeFileSync(file, Buffer.concat(out))
}

describe('audit verify', () => {
  let dir: string
  let file: string
  let key: Buffer
  let log: AuditLog
  let anchor: AuditAnchor
  let pristine: Buffer
  let offsets: number[]

  before(() => {
    dir = tempDir()
    file = path.join(dir, 'vault.cv.audit')
    key = randomKey()
    ;({log, anchor, pristine, offsets} = writeMixedLog(file, key, 1000))
  })
  after(() => removeDir(dir))
  afterEach(() => fs.writeFileSync(file, pristine))

  const seqAt = (offset: number): number => {
    let seq = 0
    while (seq + 1 < offsets.length && offsets[seq + 1] <= offset) seq++
    return seq
  }

  it('accepts 1000 mixed sealed/unsealed records', () => {
    const report = verifyLog(log.path, key, anchor)
    expect(report).to.deep.include({ok: true, records: 1001, segments: 1, sealed: 667})
    expect(report.head?.seq).to.equal(1000)
    expect(verifyLog(log.path, key, null).ok).to.equal(true)
  })

  it('calls damage, edits, reordering and MAC failures integrity failures (exit 5)', () => {
    const flipped = Buffer.from(pristine)
    flipped[offsets[500] + 40] ^= 0x01
    const swapped = Buffer.concat([pristine.subarray(0, offsets[500]), pristine.subarray(offsets[501], offsets[502]), pristine.subarray(offsets[500], offsets[501]), pristine.subarray(offsets[502])])
    const dropped = Buffer.concat([pristine.subarray(0, offsets[500]), pristine.subarray(offsets[501])])
    // a same-length edit with the frame check recomputed: only the MAC can tell
    const edited = Buffer.from(pristine)
    const at = edited.indexOf('asset-', offsets[501]) + 'asset-'.length
    edited[at] = edited[at] === 0x39 ? 0x38 : edited[at] + 1
    const checkAt = offsets[502] - 4
    edited.writeUInt32LE(crc32(edited, offsets[501], checkAt), checkAt)
    const cases = [
      ['flipped byte', flipped, 500, /damaged record \(record check failed\)/],
      ['two records swapped', swapped, 500, /expected seq 500 but found 501/],
      ['a record deleted mid-log', dropped, 500, /expected seq 500 but found 501/],
      ['same-length edit, frame check recomputed', edited, 501, /seal \(MAC\) does not verify/],
    ] as const
    for (const [what, bytes, seq, problem] of cases) {
      fs.writeFileSync(file, bytes)
      const report = verifyLog(log.path, key, anchor)
      expect(report, what).to.deep.include({ok: false, firstBadSeq: seq, failure: 'integrity'})
      expect(report.problem, what).to.match(problem)
      const error = expectVaultError(() => verifyAudit(log, key, anchor), 'INTEGRITY', 5)
      expect(error.message, what).to.match(new RegExp(`^audit log verification failed at record ${seq}: `))
      expect(error.details?.report).to.deep.include({failure: 'integrity'})
    }
  })

  it('calls truncation, a log ending before the anchor and a vault older than its log rollbacks (exit 10)', () => {
    fs.writeFileSync(file, pristine.subarray(0, offsets[900]))
    expect(verifyLog(log.path, key, anchor)).to.deep.include({ok: false, firstBadSeq: 900, failure: 'rollback'})
    expectVaultError(() => verifyAudit(log, key, anchor), 'ROLLBACK', 10)
    fs.writeFileSync(file, pristine.subarray(0, offsets[900] + 30)) // cut inside a record
    expect(verifyLog(log.path, key, anchor)).to.deep.include({ok: false, firstBadSeq: 900, failure: 'rollback'})
    fs.rmSync(file)
    expect(verifyLog(log.path, key, anchor)).to.deep.include({ok: false, firstBadSeq: 0, failure: 'rollback'})
    fs.writeFileSync(file, pristine)
    // the vault was restored to an older copy: sealed records follow its anchor
    const older = {segment: 0, seq: 996, offset: offsets[996], head: log.tail({limit: 10}).find((r) => r.seq === 996)!.hash}
    expect(verifyLog(log.path, key, older)).to.deep.include({ok: false, failure: 'rollback'})
    expectVaultError(() => verifyAudit(log, key, older), 'ROLLBACK', 10)
  })

  it('lets the deferred boot-time anchor failure stand when the walk finds nothing worse', () => {
    const bootFailure = new VaultError('ROLLBACK', 'audit log truncated, rolled back or edited: a sealed record (seq 999) follows the vault\'s anchor')
    expect(expectVaultError(() => verifyAudit(log, key, anchor, bootFailure), 'ROLLBACK', 10)).to.equal(bootFailure)
    // and the walk's first bad record when it finds one
    const bytes = Buffer.from(pristine)
    bytes[offsets[10] + 20] ^= 0x02
    fs.writeFileSync(file, bytes)
    expect(expectVaultError(() => verifyAudit(log, key, anchor, bootFailure), 'INTEGRITY', 5).message).to.match(/failed at record 10:/)
  })

  it('names the record when any byte of a sealed record is flipped', () => {
    const seq = 300 // sealed
    const end = offsets[seq + 1]
    for (let offset = offsets[seq]; offset < end; offset++) {
      const bytes = Buffer.from(pristine)
      bytes[offset] ^= 0x40
      fs.writeFileSync(file, bytes)
      const report = verifyLog(log.path, key, anchor)
      expect(report.ok, `offset ${offset}`).to.equal(false)
      expect(report.firstBadSeq, `offset ${offset}: ${report.problem}`).to.equal(seq)
    }
  })

  it('names the first bad record for random flips across the file', () => {
    for (let n = 0; n < 200; n++) {
      const offset = Math.floor(Math.random() * pristine.length)
      const bytes = Buffer.from(pristine)
      bytes[offset] ^= 1 << (n % 8)
      fs.writeFileSync(file, bytes)
      const report = verifyLog(log.path, key, anchor)
      expect(report.ok, `offset ${offset}`).to.equal(false)
      expect(report.firstBadSeq, `offset ${offset}`).to.equal(seqAt(offset))
    }
  })

  it('catches an edit whose frame check was recomputed (MAC or link fails)', () => {
    const seq = 600 // sealed
    const bytes = Buffer.from(pristine)
    const length = bytes.readUInt32LE(offsets[seq] + 4)
    const payload = parsePayload(bytes.subarray(offsets[seq] + 8, offsets[seq] + 8 + length))
    if (typeof payload === 'string') throw new Error(payload)
    const forged = encodeRecord({...payload, outcome: 'deny'}, Buffer.from(payload.prev, 'hex'), null)
    // keep the record sealed:true with its old MAC so only the MAC can tell
    const sealedForged = encodeRecord({...payload, outcome: 'deny'}, Buffer.from(payload.prev, 'hex'), randomKey())
    for (const record of [forged.bytes, sealedForged.bytes]) {
      fs.writeFileSync(file, Buffer.concat([bytes.subarray(0, offsets[seq]), record, bytes.subarray(offsets[seq + 1])]))
      const report = verifyLog(log.path, key, anchor)
      expect(report.ok).to.equal(false)
      expect(report.firstBadSeq).to.be.within(seq, seq + 1)
    }
  })

  it('an edit before the anchor passes the O(1) check but fails verify', () => {
    const bytes = Buffer.from(pristine)
    bytes[offsets[10] + 20] ^= 0x02
    fs.writeFileSync(file, bytes)
    expect(log.checkAnchor(anchor).recordsAfter).to.equal(1)
    expect(verifyLog(log.path, key, anchor)).to.include({ok: false, firstBadSeq: 10})
  })

  it('rejects a log re-chained with unkeyed hashes and zero MACs as an integrity failure', () => {
    rechain(file)
    // the first record is no denial, and unsealed records may only be denials
    expect(verifyLog(log.path, key, anchor)).to.deep.include({ok: false, firstBadSeq: 0, failure: 'integrity'})
    expectVaultError(() => log.checkAnchor(anchor), 'ROLLBACK', 10)
    // turned into denials throughout, the re-chain still cannot reproduce the anchored (sealed) record
    fs.writeFileSync(file, pristine)
    rechain(file, (payload) => ({...payload, outcome: 'deny'}))
    const report = verifyLog(log.path, key, anchor)
    expect(report).to.deep.include({ok: false, firstBadSeq: anchor.seq, failure: 'integrity'})
    expect(report.problem).to.match(/anchor/)
  })

  it('rejects a wrong key at the first sealed record', () => {
    expect(verifyLog(log.path, randomKey(), anchor)).to.include({ok: false, firstBadSeq: 0})
    expectVaultError(() => verifyLog(log.path, Buffer.alloc(8), anchor), 'INTERNAL', 1)
  })

  it('names the first missing seq after truncation at record boundaries', () => {
    for (const k of [1, 2, 10]) {
      fs.writeFileSync(file, pristine.subarray(0, offsets[1001 - k]))
      const report = verifyLog(log.path, key, anchor)
      if (k === 1) {
        // only the unsealed denial after the anchor was removed: undetectable by design
        expect(report.ok).to.equal(true)
      } else {
        expect(report).to.include({ok: false, firstBadSeq: 1001 - k})
      }
    }
  })

  it('reports a sealed record after the anchor (vault older than its log) unless allowed', () => {
    const older = log.tail({limit: 1, type: 'run'})[0]
    const olderAnchor = {segment: 0, seq: older.seq - 3, offset: offsets[older.seq - 3], head: log.tail({limit: 1000}).find((r) => r.seq === older.seq - 3)!.hash}
    const report = verifyLog(log.path, key, olderAnchor)
    expect(report.ok).to.equal(false)
    expect(report.problem).to.match(/older than its audit log/)
    expect(verifyLog(log.path, key, olderAnchor, {allowSealedAfter: 10}).ok).to.equal(true)
  })

  it('fails on a missing log when an anchor exists, and on garbage', () => {
    fs.rmSync(file)
    expect(verifyLog(log.path, key, anchor)).to.include({ok: false, firstBadSeq: 0})
    expect(verifyLog(log.path, key, null)).to.include({ok: true, records: 0})
    fs.writeFileSync(file, Buffer.from('CVA1\xff\xff\xff\xff garbage that is not a record', 'latin1'))
    expect(verifyLog(log.path, key, null)).to.include({ok: false, firstBadSeq: 0})
  })
})
