import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import type {AuditAnchor} from '../../src/audit/events.js'
import {archivePath} from '../../src/audit/files.js'
import {AuditLog} from '../../src/audit/log.js'
import {verifyLog} from '../../src/audit/verify.js'
import {denial, event, expectVaultError, randomKey, removeDir, tempDir} from './helpers.js'

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
