import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import type {AuditAnchor} from '../../src/audit/events.js'
import {archivePath} from '../../src/audit/files.js'
import {AuditLog} from '../../src/audit/log.js'
import {verifyLog} from '../../src/audit/verify.js'
import {denial, event, expectVaultError, randomKey, recordOffsets, removeDir, tempDir} from './helpers.js'

describe('audit rotation', () => {
  let dir: string
  let file: string
  let key: Buffer
  let log: AuditLog
  const anchors: AuditAnchor[] = []

  beforeEach(() => {
    dir = tempDir()
    file = path.join(dir, 'vault.cv.audit')
    key = randomKey()
    log = new AuditLog({path: file, segmentBytes: 2048})
    anchors.length = 0
    for (let i = 0; i < 100; i++) anchors.push(i % 10 === 0 ? log.append(denial(i), null) : log.append(event(i), key))
  })
  afterEach(() => removeDir(dir))

  it('splits 100 appends into several segments that chain across files', () => {
    const archives = fs.readdirSync(dir).filter((name) => /\.audit\.\d{6}$/.test(name)).sort()
    expect(archives.length).to.be.greaterThan(5)
    for (const name of archives) expect(fs.statSync(path.join(dir, name)).size).to.be.at.most(2048)
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600)
    const last = anchors[99]
    expect(last.segment).to.equal(archives.length)
    const report = verifyLog(log.path, key, last)
    expect(report).to.deep.include({ok: true, records: 100, segments: archives.length + 1})
    const all = log.tail({limit: 1000})
    expect(all.map((r) => r.seq)).to.deep.equal(Array.from({length: 100}, (_, i) => i))
    for (let i = 1; i < 100; i++) expect(all[i].prev).to.equal(all[i - 1].hash)
    // the first record of each new segment links the previous segment's final head
    const firstOfSegment = all.filter((r, i) => i > 0 && r.segment !== all[i - 1].segment)
    expect(firstOfSegment.length).to.equal(archives.length)
    expect(log.readAfter(40).map((r) => r.seq)).to.deep.equal(Array.from({length: 59}, (_, i) => 41 + i))
    expect(log.tail({limit: 3, asset: 'asset-2'}).map((r) => r.seq)).to.deep.equal([87, 92, 97])
    expect(log.head()).to.deep.equal(last)
  })

  it('tail reports an archived segment it needed but could not find, and only then', () => {
    const gone = archivePath(file, 2)
    fs.unlinkSync(gone)
    const missing: string[] = []
    const recent = log.tail({limit: 3, onMissingSegment: (at) => missing.push(at)})
    expect(recent.map((r) => r.seq)).to.deep.equal([97, 98, 99])
    expect(missing).to.deep.equal([])
    const all = log.tail({limit: 1000, onMissingSegment: (at) => missing.push(at)})
    expect(missing).to.deep.equal([gone])
    // everything newer than the gap, and nothing from before it
    expect(all[0].segment).to.equal(3)
    expect(all.map((r) => r.seq)).to.deep.equal(Array.from({length: all.length}, (_, i) => 100 - all.length + i))
  })

  it('verify names the first missing seq when a middle or the newest archived segment is gone (rollback)', () => {
    const all = log.tail({limit: 1000})
    const firstOf = (segment: number) => all.find((r) => r.segment === segment)!.seq
    const last = anchors[99]
    const archives = last.segment
    const saved = fs.readFileSync(archivePath(file, 2))
    fs.unlinkSync(archivePath(file, 2))
    let report = verifyLog(log.path, key, last)
    expect(report).to.deep.include({ok: false, firstBadSeq: firstOf(2), failure: 'rollback'})
    expect(report.problem).to.match(/^segment 2 is missing/)
    // damage before the gap is the first problem
    const first = fs.readFileSync(archivePath(file, 0))
    const flipped = Buffer.from(first)
    flipped[100] ^= 1
    fs.writeFileSync(archivePath(file, 0), flipped)
    expect(verifyLog(log.path, key, last)).to.deep.include({ok: false, firstBadSeq: 0, failure: 'integrity'})
    fs.writeFileSync(archivePath(file, 0), first)
    fs.writeFileSync(archivePath(file, 2), saved)

    // the newest archive gone: the live file is next in line but starts further on
    fs.unlinkSync(archivePath(file, archives - 1))
    report = verifyLog(log.path, key, last)
    expect(report).to.deep.include({ok: false, firstBadSeq: firstOf(archives - 1), failure: 'rollback'})
    expect(report.problem).to.match(new RegExp(`^segment ${archives - 1} is missing`))

    // an archive cut short loses the records after the cut, whether the cut is inside a record or between two
    const second = recordOffsets(archivePath(file, 1))
    const saved1 = fs.readFileSync(archivePath(file, 1))
    const lostFrom = firstOf(1) + 2
    for (const cut of [second[2], second[2] + 9]) {
      fs.writeFileSync(archivePath(file, 1), saved1.subarray(0, cut))
      report = verifyLog(log.path, key, anchors[5], {allowSealedAfter: 1000})
      expect(report, `cut at ${cut}`).to.deep.include({ok: false, firstBadSeq: lostFrom, failure: 'rollback'})
    }
    expect(report.problem).to.equal('archived segment ends in a partial record')
    fs.writeFileSync(archivePath(file, 1), saved1.subarray(0, second[2]))
    expect(verifyLog(log.path, key, anchors[5], {allowSealedAfter: 1000}).problem).to.equal(`records ${lostFrom} to ${firstOf(2) - 1} are missing: segment 1 was cut short`)
  })

  it('checks anchors that point into archived segments', () => {
    for (const anchor of [anchors[3], anchors[51], anchors[98]]) {
      const check = log.checkAnchor(anchor, {allowSealedAfter: 100})
      expect(check.recordsAfter).to.equal(99 - anchor.seq)
      expect(verifyLog(log.path, key, anchor, {allowSealedAfter: 100}).ok).to.equal(true)
    }
    expectVaultError(() => log.checkAnchor(anchors[51]), 'ROLLBACK', 10) // sealed records follow it
    // deleting an archived segment after the anchor breaks the chain
    fs.rmSync(archivePath(file, anchors[98].segment - 1))
    expectVaultError(() => log.checkAnchor(anchors[51], {allowSealedAfter: 100}), 'ROLLBACK', 10)
    expect(verifyLog(log.path, key, anchors[99])).to.include({ok: false})
    // deleting the segment that holds the anchor
    expectVaultError(() => log.checkAnchor(anchors[0]), 'ROLLBACK', 10)
    fs.rmSync(archivePath(file, 0))
    expectVaultError(() => log.checkAnchor(anchors[0]), 'ROLLBACK', 10)
  })

  it('continues after a rotation whose live file is missing and refuses to overwrite an archive', () => {
    const archives = fs.readdirSync(dir).filter((name) => /\.\d{6}$/.test(name)).length
    fs.renameSync(file, archivePath(file, archives)) // as if a crash hit between rename and first append
    const next = log.append(event(100), key)
    expect(next).to.include({seq: 100, segment: archives + 1, offset: 0})
    expect(verifyLog(log.path, key, next).ok).to.equal(true)
    expect(log.tail({limit: 2}).map((r) => r.seq)).to.deep.equal([99, 100])

    // a stray file where the next archive would go must not be overwritten
    const small = new AuditLog({path: file, segmentBytes: 1})
    fs.writeFileSync(archivePath(file, archives + 1), 'stray')
    expectVaultError(() => small.append(event(101), key), 'AUDIT_UNAVAILABLE', 8)
    expect(fs.readFileSync(archivePath(file, archives + 1), 'utf8')).to.equal('stray')
  })
})
