import path from 'node:path'

import {expect} from 'chai'

import {createAuditor, MemoryAuditor} from '../../src/audit/auditor.js'
import {secretFingerprint} from '../../src/audit/fingerprint.js'
import {deriveAuditKey} from '../../src/audit/key.js'
import {AuditLog} from '../../src/audit/log.js'
import {verifyLog} from '../../src/audit/verify.js'
import {VaultError} from '../../src/cli/errors.js'
import {canary, expectVaultError, randomKey, removeDir, tempDir} from './helpers.js'

describe('audit reading, auditor and fingerprints', () => {
  let dir: string
  beforeEach(() => (dir = tempDir()))
  afterEach(() => removeDir(dir))

  it('tail filters by asset, type prefix and time, newest records first read, oldest first returned', () => {
    let clock = Date.parse('2025-01-01T00:00:00.000Z')
    const log = new AuditLog({path: path.join(dir, 'v.audit'), now: () => new Date(clock)})
    const key = randomKey()
    const types = ['run.allow', 'run.exit', 'grant.approve', 'runner.start', 'secret.set']
    for (let i = 0; i < 50; i++) {
      clock += 60_000
      log.append({type: types[i % 5], outcome: 'ok', asset: i % 2 ? 'web' : 'api'}, key)
    }
    expect(log.tail({limit: 0})).to.deep.equal([])
    expect(log.tail({limit: 3}).map((r) => r.seq)).to.deep.equal([47, 48, 49])
    const runs = log.tail({limit: 4, type: 'run'})
    expect(runs.map((r) => r.type)).to.deep.equal(['run.allow', 'run.exit', 'run.allow', 'run.exit'])
    expect(runs.map((r) => r.seq)).to.deep.equal([40, 41, 45, 46])
    expect(log.tail({limit: 100, type: 'run.exit'}).length).to.equal(10)
    expect(log.tail({limit: 100, asset: 'web', type: 'grant'}).every((r) => r.asset === 'web' && r.type === 'grant.approve')).to.equal(true)
    const since = log.tail({limit: 100, since: new Date('2025-01-01T00:45:00.000Z')})
    expect(since.map((r) => r.seq)).to.deep.equal([44, 45, 46, 47, 48, 49])
    expect(log.readAfter(46).map((r) => r.seq)).to.deep.equal([47, 48, 49])
    expect(log.readAfter(49)).to.deep.equal([])
    expect(log.readAfter(-1).length).to.equal(50)
  })

  it('returns empty results for a missing log', () => {
    const log = new AuditLog({path: path.join(dir, 'none.audit')})
    expect(log.tail({limit: 5})).to.deep.equal([])
    expect(log.readAfter(-1)).to.deep.equal([])
    expect(log.head()).to.equal(null)
  })

  it('createAuditor seals only when the key getter returns a key', () => {
    const log = new AuditLog({path: path.join(dir, 'v.audit')})
    const key = randomKey()
    let unlocked = false
    const auditor = createAuditor(log, () => (unlocked ? key : null))
    auditor.record({type: 'session.deny', outcome: 'deny', reason: 'locked'})
    unlocked = true
    const anchor = auditor.record({type: 'session.unlock', outcome: 'ok'})
    expect(log.tail({limit: 5}).map((r) => r.sealed)).to.deep.equal([false, true])
    expect(verifyLog(log.path, key, anchor).ok).to.equal(true)

    const memory = new MemoryAuditor()
    memory.record({type: 'kill', outcome: 'ok'})
    expect(memory.events).to.deep.equal([{type: 'kill', outcome: 'ok'}])
    memory.fail = new VaultError('AUDIT_UNAVAILABLE', 'disk full')
    expectVaultError(() => memory.record({type: 'kill', outcome: 'ok'}), 'AUDIT_UNAVAILABLE', 8)
  })

  it('secretFingerprint is stable per key and value, differs across keys and values, and hides the value', () => {
    const secret = Buffer.from(canary())
    const k1 = randomKey()
    const k2 = randomKey()
    const fp = secretFingerprint(k1, secret)
    expect(fp).to.match(/^fp:[0-9a-f]{32}$/)
    expect(secretFingerprint(k1, Buffer.from(secret))).to.equal(fp)
    expect(secretFingerprint(k2, secret)).to.not.equal(fp)
    expect(secretFingerprint(k1, Buffer.from(canary()))).to.not.equal(fp)
    expect(fp.includes(secret.toString('hex').slice(0, 8))).to.equal(false)
    expectVaultError(() => secretFingerprint(Buffer.alloc(5), secret), 'INTERNAL', 1)
  })

  it('deriveAuditKey is deterministic, 32 bytes, and independent of the input bytes', () => {
    const vaultKey = randomKey()
    const a = deriveAuditKey(vaultKey)
    const b = deriveAuditKey(Buffer.from(vaultKey))
    expect(a.length).to.equal(32)
    expect(Buffer.from(a).equals(Buffer.from(b))).to.equal(true)
    expect(Buffer.from(a).equals(vaultKey)).to.equal(false)
    expect(Buffer.from(deriveAuditKey(randomKey())).equals(Buffer.from(a))).to.equal(false)
    expectVaultError(() => deriveAuditKey(Buffer.alloc(16)), 'INTERNAL', 1)
  })
})
