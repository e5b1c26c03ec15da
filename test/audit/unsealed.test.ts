import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {crc32} from '../../src/audit/checksum.js'
import type {AuditAnchor} from '../../src/audit/events.js'
import {AuditLog} from '../../src/audit/log.js'
import {verifyAudit} from '../../src/audit/query.js'
import {verifyLog} from '../../src/audit/verify.js'
import {FORGED_APPROVAL, denial, event, expectVaultError, forgeUnsealed, randomKey, recordOffsets, removeDir, tempDir} from './helpers.js'

/**
 * Unsealed records carry no MAC, so anyone who can write the log can append one with a correct
 * chain hash. Only denials are written that way, so an unsealed record claiming anything else is
 * a forgery: verify names it, and the anchor check every command runs refuses it (exit 5) before a
 * sealed record could chain over it.
 */
describe('audit unsealed records', () => {
  let dir: string
  let log: AuditLog
  let key: Buffer
  let anchor: AuditAnchor

  beforeEach(() => {
    dir = tempDir()
    log = new AuditLog({path: path.join(dir, 'vault.cv.audit')})
    key = randomKey()
    for (let i = 0; i < 10; i++) anchor = log.append(i % 3 === 1 ? denial(i) : event(i), i % 3 === 1 ? null : key)
  })
  afterEach(() => removeDir(dir))

  it('accepts genuine unsealed denials after the anchor', () => {
    log.append(denial(10), null)
    forgeUnsealed(log, [denial(11)]) // indistinguishable from a genuine one, and harmless: it grants nothing
    expect(log.checkAnchor(anchor)).to.include({recordsAfter: 2, sealedAfter: 0})
    expect(verifyLog(log.path, key, anchor)).to.include({ok: true, records: 12})
  })

  it('verify names a forged unsealed approval after the anchor as an integrity failure', () => {
    const [seq] = forgeUnsealed(log, [FORGED_APPROVAL])
    const report = verifyLog(log.path, key, anchor)
    expect(report).to.deep.include({ok: false, firstBadSeq: seq, failure: 'integrity'})
    expect(report.problem).to.match(/unsealed record with outcome 'ok'/)
    const error = expectVaultError(() => verifyAudit(log, key, anchor), 'INTEGRITY', 5)
    expect(error.message).to.match(new RegExp(`^audit log verification failed at record ${seq}: unsealed`))
  })

  it('the anchor check refuses a forged unsealed approval (exit 5), so no command seals it in', () => {
    const [seq] = forgeUnsealed(log, [FORGED_APPROVAL])
    const error = expectVaultError(() => log.checkAnchor(anchor), 'INTEGRITY', 5)
    expect(error.message).to.match(new RegExp(`unsealed record \\(seq ${seq}\\) after the vault's anchor records outcome 'ok'`))
    expect(error.details?.auditType).to.equal('audit.integrity')
    // behind genuine denials too, and however many sealed retries are tolerated
    log.append(denial(12), null)
    expectVaultError(() => log.checkAnchor(anchor, {allowSealedAfter: 100}), 'INTEGRITY', 5)
  })

  it('refuses 50 forged run.allow records, and each outcome but deny', () => {
    const pristine = fs.readFileSync(log.path)
    const seqs = forgeUnsealed(log, Array.from({length: 50}, (_, i) => ({type: 'run.allow', outcome: 'allow' as const, asset: 'shop', data: {i}})))
    expect(verifyLog(log.path, key, anchor)).to.include({ok: false, firstBadSeq: seqs[0]})
    expectVaultError(() => log.checkAnchor(anchor), 'INTEGRITY', 5)
    for (const outcome of ['allow', 'ok', 'error'] as const) {
      fs.writeFileSync(log.path, pristine)
      forgeUnsealed(log, [denial(20), {type: 'secret.set', outcome}])
      expect(verifyLog(log.path, key, anchor), outcome).to.include({ok: false, firstBadSeq: 11})
      expectVaultError(() => log.checkAnchor(anchor), 'INTEGRITY', 5)
    }
  })

  it('a forged record stays a failure after a sealed record chained over it (as the next command used to)', () => {
    const [seq] = forgeUnsealed(log, [FORGED_APPROVAL])
    const later = log.append(event(20), key)
    const report = verifyLog(log.path, key, later)
    expect(report).to.deep.include({ok: false, firstBadSeq: seq, failure: 'integrity'})
  })

  it('an unsealed denial with a MAC is refused by both checks', () => {
    log.append(denial(10), null)
    const bytes = fs.readFileSync(log.path)
    const last = recordOffsets(log.path).at(-1)!
    const length = bytes.readUInt32LE(last + 4)
    const macAt = last + 8 + length
    bytes[macAt] = 1
    // recompute the frame check so that only the MAC rule can tell
    bytes.writeUInt32LE(crc32(bytes, last, macAt + 36), macAt + 36)
    fs.writeFileSync(log.path, bytes)
    expect(verifyLog(log.path, key, anchor)).to.deep.include({ok: false, firstBadSeq: 10, problem: 'unsealed record carries a MAC'})
    expectVaultError(() => log.checkAnchor(anchor), 'INTEGRITY', 5)
  })

  it('accepts the unsealed repair note a keyless append writes after a torn tail', () => {
    log.append(denial(10), null)
    const full = fs.readFileSync(log.path)
    fs.writeFileSync(log.path, full.subarray(0, full.length - 7)) // the denial was cut short
    log.append(denial(11), null)
    const records = log.tail({limit: 2})
    expect(records.map((r) => [r.type, r.outcome, r.sealed])).to.deep.equal([['audit.repair', 'ok', false], ['session.deny', 'deny', false]])
    expect(log.checkAnchor(anchor)).to.include({recordsAfter: 2})
    expect(verifyLog(log.path, key, anchor)).to.include({ok: true, records: 12})
    // but a repair note that claims anything else is not one the product writes
    forgeUnsealed(log, [{type: 'audit.repair', outcome: 'allow'}])
    expectVaultError(() => log.checkAnchor(anchor), 'INTEGRITY', 5)
  })
})
