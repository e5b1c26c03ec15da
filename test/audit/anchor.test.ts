import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import type {AuditAnchor} from '../../src/audit/events.js'
import {AuditLog} from '../../src/audit/log.js'
import {verifyLog} from '../../src/audit/verify.js'
import {event, expectVaultError, randomKey, recordOffsets, removeDir, tempDir} from './helpers.js'

describe('audit anchor check and torn tails', () => {
  let dir: string
  let file: string
  let key: Buffer
  let log: AuditLog

  beforeEach(() => {
    dir = tempDir()
    file = path.join(dir, 'vault.cv.audit')
    key = randomKey()
    log = new AuditLog({path: file})
  })
  afterEach(() => removeDir(dir))

  function sealedLog(n: number): AuditAnchor {
    let anchor!: AuditAnchor
    for (let i = 0; i < n; i++) anchor = log.append(event(i), key)
    return anchor
  }

  it('passes for the head and for unsealed denials after it', () => {
    expect(log.checkAnchor(null)).to.deep.equal({recordsAfter: 0, sealedAfter: 0, tornTail: false})
    const anchor = sealedLog(20)
    expect(log.checkAnchor(anchor)).to.deep.equal({recordsAfter: 0, sealedAfter: 0, tornTail: false})
    log.append({type: 'session.deny', outcome: 'deny'}, null)
    log.append({type: 'session.deny', outcome: 'deny'}, null)
    expect(log.checkAnchor(anchor)).to.deep.equal({recordsAfter: 2, sealedAfter: 0, tornTail: false})
  })

  it('throws ROLLBACK when the last 1, 2 or 10 records are deleted', () => {
    const anchor = sealedLog(30)
    const pristine = fs.readFileSync(file)
    const offsets = recordOffsets(file)
    for (const k of [1, 2, 10]) {
      fs.writeFileSync(file, pristine.subarray(0, offsets[30 - k]))
      const error = expectVaultError(() => log.checkAnchor(anchor), 'ROLLBACK', 10)
      expect(error.message).to.match(/^audit log truncated, rolled back or edited/)
    }
    fs.writeFileSync(file, pristine.subarray(0, offsets[29] + 30)) // cut inside the anchored record
    expectVaultError(() => log.checkAnchor(anchor), 'ROLLBACK', 10)
    fs.rmSync(file)
    expectVaultError(() => log.checkAnchor(anchor), 'ROLLBACK', 10)
  })

  it('throws ROLLBACK when an older log is restored', () => {
    sealedLog(5)
    const older = fs.readFileSync(file)
    const anchor = sealedLog(5)
    fs.writeFileSync(file, older)
    expectVaultError(() => log.checkAnchor(anchor), 'ROLLBACK', 10)
    // a same-length older log with different content: head differs
    fs.rmSync(file)
    const other = new AuditLog({path: file})
    for (let i = 0; i < 10; i++) other.append(event(i), key)
    expectVaultError(() => log.checkAnchor(anchor), 'ROLLBACK', 10)
  })

  it('throws ROLLBACK for any edit of the anchored record and of records after it', () => {
    const anchor = sealedLog(10)
    log.append({type: 'session.deny', outcome: 'deny'}, null)
    const pristine = fs.readFileSync(file)
    const offsets = recordOffsets(file)
    // every byte of the anchored record, and the payload of the unsealed record after it (a damaged
    // length field there looks like a torn write, which is tolerated: such records are not protected)
    const after = offsets[10]
    const targets = [...Array.from({length: after - anchor.offset}, (_, i) => anchor.offset + i),
      ...Array.from({length: pristine.readUInt32LE(after + 4)}, (_, i) => after + 8 + i)]
    for (const offset of targets) {
      const bytes = Buffer.from(pristine)
      bytes[offset] ^= 0x10
      fs.writeFileSync(file, bytes)
      try {
        log.checkAnchor(anchor)
        throw new Error(`offset ${offset - anchor.offset} past the anchor passed`)
      } catch (error) {
        expect((error as {code?: string}).code, (error as Error).message).to.equal('ROLLBACK')
      }
    }
    // an anchor whose offset points elsewhere
    fs.writeFileSync(file, pristine)
    expectVaultError(() => log.checkAnchor({...anchor, offset: offsets[3]}), 'ROLLBACK', 10)
    expectVaultError(() => log.checkAnchor({...anchor, offset: anchor.offset + 1}), 'ROLLBACK', 10)
    expectVaultError(() => log.checkAnchor({...anchor, seq: 4}), 'ROLLBACK', 10)
    expectVaultError(() => log.checkAnchor({...anchor, segment: 3}), 'ROLLBACK', 10)
    expectVaultError(() => log.checkAnchor({...anchor, offset: 1e12}), 'ROLLBACK', 10)
    expectVaultError(() => log.checkAnchor({...anchor, head: 'zz'}), 'INTERNAL', 1)
  })

  it('detects a vault rolled back behind sealed records (vault older than log)', () => {
    const v1 = sealedLog(3)
    log.append({type: 'grant.revoke', outcome: 'ok'}, key) // v2's record; the vault is restored to v1
    const error = expectVaultError(() => log.checkAnchor(v1), 'ROLLBACK', 10)
    expect(error.message).to.match(/older than its audit log/)
    expect(log.checkAnchor(v1, {allowSealedAfter: 1})).to.include({recordsAfter: 1, sealedAfter: 1})
  })

  it('tolerates a torn tail after the anchor, then append repairs and logs it', () => {
    const anchor = sealedLog(5)
    const good = fs.readFileSync(file)
    log.append({type: 'session.deny', outcome: 'deny', reason: 'locked'}, null)
    const full = fs.readFileSync(file)
    const recordLength = full.length - good.length
    for (const cut of [1, 3, 4, 7, 8, 20, recordLength - 8, recordLength - 1]) {
      fs.writeFileSync(file, full.subarray(0, good.length + cut))
      expect(log.checkAnchor(anchor), `cut ${cut}`).to.deep.equal({recordsAfter: 0, sealedAfter: 0, tornTail: true})
      expect(log.head()).to.deep.equal(anchor)
      expect(log.tail({limit: 10}).map((r) => r.seq)).to.deep.equal([0, 1, 2, 3, 4])
      expect(verifyLog(log.path, key, anchor)).to.include({ok: true, tornTail: true})
    }
    const next = log.append(event(99), key)
    expect(next.seq).to.equal(6)
    const last = log.tail({limit: 2})
    expect(last[0]).to.include({seq: 5, type: 'audit.repair', outcome: 'ok', sealed: true})
    expect(last[0].data).to.deep.include({offset: good.length, bytes: recordLength - 1})
    expect(verifyLog(log.path, key, next)).to.deep.include({ok: true, records: 7})
    expect(verifyLog(log.path, key, next).tornTail).to.equal(undefined)
    expect(log.checkAnchor(next).tornTail).to.equal(false)
  })

  it('repairs a torn very first record and an unsealed repair before unlock', () => {
    log.append(event(0), null)
    const full = fs.readFileSync(file)
    fs.writeFileSync(file, full.subarray(0, 10))
    const anchor = log.append({type: 'session.deny', outcome: 'deny'}, null)
    const records = log.tail({limit: 10})
    expect(records.map((r) => [r.seq, r.type, r.sealed])).to.deep.equal([[0, 'audit.repair', false], [1, 'session.deny', false]])
    expect(anchor.seq).to.equal(1)
    const sealed = log.append(event(1), key)
    expect(verifyLog(log.path, key, sealed).ok).to.equal(true)
  })

  it('treats garbage after the last record (not a torn prefix) as damage', () => {
    const anchor = sealedLog(3)
    fs.appendFileSync(file, Buffer.from('not a record at all'))
    expectVaultError(() => log.checkAnchor(anchor), 'ROLLBACK', 10)
    expectVaultError(() => log.append(event(4), key), 'ROLLBACK', 10)
    expectVaultError(() => log.tail({limit: 1}), 'ROLLBACK', 10)
    expect(verifyLog(log.path, key, anchor).ok).to.equal(false)
  })

  it('never throws anything but VaultError on random garbage', () => {
    for (let n = 0; n < 50; n++) {
      const size = 1 + Math.floor(Math.random() * 300)
      const bytes = Buffer.alloc(size)
      for (let i = 0; i < size; i++) bytes[i] = Math.floor(Math.random() * 256)
      if (n % 2 === 0) Buffer.from('CVA1').copy(bytes)
      fs.writeFileSync(file, bytes)
      const anchor = {segment: 0, seq: 0, offset: 0, head: '0'.repeat(64)}
      for (const fn of [() => log.checkAnchor(anchor), () => log.tail({limit: 5}), () => log.head(), () => log.readAfter(-1)]) {
        try {
          fn()
        } catch (error) {
          expect((error as Error).name).to.equal('VaultError')
        }
      }
      expect(verifyLog(log.path, key, anchor).ok).to.equal(false)
    }
  })
})
