import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {AuditLog} from '../../src/audit/log.js'
import {verifyLog} from '../../src/audit/verify.js'
import {VaultError} from '../../src/cli/errors.js'
import {canary, event, expectVaultError, randomKey, recordOffsets, removeDir, tempDir} from './helpers.js'

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'append-one.ts')

describe('audit append', () => {
  let dir: string
  let file: string
  beforeEach(() => {
    dir = tempDir()
    file = path.join(dir, 'vault.cv.audit')
  })
  afterEach(() => removeDir(dir))

  it('stores a key pasted into free text (a reason, an asset name, data) only as a preview; fingerprints and ids stay', () => {
    const log = new AuditLog({path: file})
    const pasted = `sk-proj-${'Ab1Cd2Ef3Gh4'.repeat(6)}T3BlbkFJ${'Zy9Xw8Vu7Ts6'.repeat(6)}`
    const fingerprint = `fp:${'0123456789abcdef'.repeat(2)}`
    log.append({type: 'grant.approve', outcome: 'ok', asset: pasted, reason: `approved: ${pasted}`, data: {grant: 'g_AqnDrmog', fingerprint, list: [pasted]}}, randomKey())
    const bytes = fs.readFileSync(file, 'latin1')
    expect(bytes).to.not.include(pasted.slice(8, 40))
    const [record] = log.tail({limit: 1})
    expect(record.asset).to.equal('sk-proj-…(160)')
    expect(record.reason).to.equal('approved: sk-proj-…(160)')
    expect(record.data).to.deep.equal({grant: 'g_AqnDrmog', fingerprint, list: ['sk-proj-…(160)']})
  })

  it('chains records, returns anchors that match head(), and reads back metadata', () => {
    const log = new AuditLog({path: file, now: () => new Date('2025-01-02T03:04:05.000Z')})
    const key = randomKey()
    expect(log.head()).to.equal(null)
    const a0 = log.append(event(0), key)
    const a1 = log.append({type: 'session.deny', outcome: 'deny', reason: 'wrong passphrase'}, null)
    const a2 = log.append(event(2, {capability: 'chat'}), key)
    expect(a0).to.include({segment: 0, seq: 0, offset: 0})
    expect(a1.seq).to.equal(1)
    expect(a2.seq).to.equal(2)
    expect(log.head()).to.deep.equal(a2)
    expect(recordOffsets(file)).to.deep.equal([a0.offset, a1.offset, a2.offset])
    const records = log.tail({limit: 10})
    expect(records.map((r) => r.seq)).to.deep.equal([0, 1, 2])
    expect(records[0].prev).to.equal('0'.repeat(64))
    expect(records[1].prev).to.equal(records[0].hash)
    expect(records[2].prev).to.equal(records[1].hash)
    expect(records[2].hash).to.equal(a2.head)
    expect(records[0]).to.include({type: 'run.allow', outcome: 'allow', asset: 'asset-0', sealed: true, pid: process.pid, ts: '2025-01-02T03:04:05.000Z'})
    expect(records[0].data).to.deep.equal({i: 0, names: ['OPENAI_API_KEY']})
    expect(records[1]).to.include({sealed: false, reason: 'wrong passphrase'})
    expect(records[2].capability).to.equal('chat')
    expect(verifyLog(log.path, key, a2).ok).to.equal(true)
  })

  it('creates the file 0600 even with umask 0, and keeps no secret canary', () => {
    const secret = canary()
    const old = process.umask(0)
    try {
      const log = new AuditLog({path: file})
      const key = randomKey()
      // metadata only: the event describes the secret by name, never by value
      log.append({type: 'secret.set', outcome: 'ok', asset: 'app', data: {name: 'OPENAI_API_KEY', length: secret.length}}, key)
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600)
    } finally {
      process.umask(old)
    }
    const raw = fs.readFileSync(file)
    for (const form of [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex')]) {
      expect(raw.includes(form)).to.equal(false)
    }
  })

  it('refuses a directory at the audit path with AUDIT_UNAVAILABLE (exit 8)', () => {
    fs.mkdirSync(file)
    const error = expectVaultError(() => new AuditLog({path: file}).append(event(0), null), 'AUDIT_UNAVAILABLE', 8)
    expect(error.message).to.match(/^cannot append to the audit log .*EISDIR/)
  })

  it('refuses a missing parent directory with AUDIT_UNAVAILABLE', () => {
    expectVaultError(() => new AuditLog({path: path.join(dir, 'nope', 'x.audit')}).append(event(0), null), 'AUDIT_UNAVAILABLE', 8)
  })

  it('refuses a planted symlink and leaves its target untouched', () => {
    const victim = path.join(dir, 'victim')
    fs.writeFileSync(victim, 'precious')
    fs.symlinkSync(victim, file)
    expectVaultError(() => new AuditLog({path: file}).append(event(0), null), 'AUDIT_UNAVAILABLE', 8)
    expect(fs.readFileSync(victim, 'utf8')).to.equal('precious')
  })

  it('rejects invalid events and keys as internal errors without writing', () => {
    const log = new AuditLog({path: file})
    const bad: unknown[] = [
      {type: 'Run Allow', outcome: 'allow'},
      {type: 'run.allow', outcome: 'maybe'},
      {type: 'run.allow', outcome: 'allow', data: {x: {nested: true}}},
      {type: 'run.allow', outcome: 'allow', data: {x: Number.NaN}},
      {type: 'run.allow', outcome: 'allow', reason: 42},
      {type: 'run.allow', outcome: 'allow', data: {big: Array.from({length: 40}, () => 'x'.repeat(4000))}},
    ]
    for (const item of bad) expectVaultError(() => log.append(item as never, null), 'INTERNAL', 1)
    expectVaultError(() => log.append(event(0), Buffer.alloc(16)), 'INTERNAL', 1)
    expect(fs.existsSync(file) ? fs.statSync(file).size : 0).to.equal(0)
    expectVaultError(() => new AuditLog({path: file, segmentBytes: 0}), 'INTERNAL', 1)
  })

  it('refuses to append after a damaged (not torn) last record', () => {
    const log = new AuditLog({path: file})
    log.append(event(0), null)
    log.append(event(1), null)
    const bytes = fs.readFileSync(file)
    bytes[bytes.length - 20] ^= 0x01
    fs.writeFileSync(file, bytes)
    expectVaultError(() => log.append(event(2), null), 'ROLLBACK', 10)
  })

  it('maps EFBIG (prlimit --fsize) to AUDIT_UNAVAILABLE and leaves no partial record', function () {
    const probe = spawnSync('prlimit', ['--version'])
    if (probe.status !== 0) {
      console.log('      skipped: prlimit unavailable')
      this.skip()
    }
    const log = new AuditLog({path: file})
    log.append(event(0), null)
    const before = fs.readFileSync(file)
    const child = spawnSync('prlimit', [`--fsize=${before.length + 20}`, process.execPath, '--import', 'tsx', FIXTURE, file, '-', '1'], {encoding: 'utf8'})
    const result = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}')
    expect(result, child.stderr).to.deep.include({code: 'AUDIT_UNAVAILABLE', exitCode: 8})
    expect(result.message).to.match(/EFBIG/)
    expect(fs.readFileSync(file).equals(before)).to.equal(true)
  })

  it('maps ENOSPC (tiny tmpfs) to AUDIT_UNAVAILABLE', function () {
    const mount = path.join(dir, 'mnt')
    fs.mkdirSync(mount)
    const target = path.join(mount, 'v.audit')
    const script = [
      `mount -t tmpfs -o size=16k tmpfs '${mount}' || exit 77`,
      `dd if=/dev/zero of='${mount}/fill' bs=1k count=64 2>/dev/null`,
      `'${process.execPath}' --import tsx '${FIXTURE}' '${target}' - 1`,
    ].join('; ')
    const child = spawnSync('unshare', ['-rm', 'sh', '-c', script], {encoding: 'utf8'})
    if (child.error || child.status === 77 || child.status === 1 && !child.stdout) {
      console.log(`      skipped: cannot mount a private tmpfs here (${(child.stderr || String(child.error)).trim().split('\n')[0]})`)
      this.skip()
    }
    const result = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}')
    expect(result, child.stderr).to.deep.include({code: 'AUDIT_UNAVAILABLE', exitCode: 8})
    expect(result.message).to.match(/ENOSPC/)
  })

  it('is a VaultError subclass the CLI can map', () => {
    const error = expectVaultError(() => {
      fs.mkdirSync(file)
      new AuditLog({path: file}).append(event(0), null)
    }, 'AUDIT_UNAVAILABLE', 8)
    expect(error).to.be.instanceOf(VaultError)
    expect(error.suggestions.length).to.be.greaterThan(0)
  })
})
