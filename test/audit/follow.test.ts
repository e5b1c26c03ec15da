import {getEventListeners} from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {expect} from 'chai'

import type {AuditRecord} from '../../src/audit/events.js'
import {AuditLog} from '../../src/audit/log.js'
import {followAudit, pause} from '../../src/audit/query.js'
import {VaultError} from '../../src/cli/errors.js'
import {FORGED_APPROVAL, event, forgeUnsealed, randomKey, recordOffsets, removeDir, tempDir} from './helpers.js'

/** Wait until `test` holds, polling; fails after `ms`. */
async function until(test: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now()
  while (!test()) {
    if (Date.now() - start > ms) throw new Error('timed out')
    await sleep(5)
  }
}

describe('audit tail --follow (followAudit)', () => {
  let dir: string
  let log: AuditLog
  let key: Buffer
  let controller: AbortController

  beforeEach(() => {
    dir = tempDir()
    log = new AuditLog({path: path.join(dir, 'vault.cv.audit')})
    key = randomKey()
    for (let i = 0; i < 5; i++) log.append(event(i), key)
    controller = new AbortController()
  })
  afterEach(() => {
    controller.abort()
    removeDir(dir)
  })

  it('pause leaves no listener on the signal, whether the time runs out or the signal aborts', async () => {
    const signal = controller.signal
    for (let i = 0; i < 20; i++) await pause(1, signal)
    expect(getEventListeners(signal, 'abort')).to.have.length(0)
    const waiting = pause(60_000, signal)
    expect(getEventListeners(signal, 'abort')).to.have.length(1)
    controller.abort()
    await waiting
    expect(getEventListeners(signal, 'abort')).to.have.length(0)
  })

  it('keeps at most one abort listener however long it follows, and prints new records in order', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    const seen: AuditRecord[] = []
    const following = followAudit(log, log.head(), {type: 'run'}, (record) => seen.push(record), controller.signal, 1)
    try {
      // a few hundred polls: the old code added a listener on each and warned after 11
      await sleep(300)
      expect(getEventListeners(controller.signal, 'abort').length).to.be.at.most(1)
      log.append(event(5), key)
      log.append({type: 'secret.set', outcome: 'ok'}, key)
      log.append(event(7), key)
      await until(() => seen.length === 2)
      expect(seen.map((r) => r.seq)).to.deep.equal([5, 7])
      await sleep(100)
      expect(getEventListeners(controller.signal, 'abort').length).to.be.at.most(1)
    } finally {
      controller.abort()
      process.off('warning', onWarning)
    }
    await following
    expect(warnings.map((w) => w.name)).to.not.include('MaxListenersExceededWarning')
    expect(getEventListeners(controller.signal, 'abort')).to.have.length(0)
  })

  it('ends with ROLLBACK when the followed log is cut short', async () => {
    const offsets = recordOffsets(log.path)
    const following = followAudit(log, log.head(), {}, () => {}, controller.signal, 5)
    await sleep(30)
    fs.truncateSync(log.path, offsets[3])
    const error = await following.then(() => null, (error_: unknown) => error_)
    expect(error).to.be.instanceOf(VaultError)
    expect((error as VaultError).code).to.equal('ROLLBACK')
    expect((error as VaultError).exitCode).to.equal(10)
    expect((error as VaultError).message).to.match(/last record shown \(seq 4\) is gone or changed/)
  })

  it('ends with ROLLBACK when the log is cut and then grows past where it was', async () => {
    const seen: number[] = []
    const offsets = recordOffsets(log.path)
    const following = followAudit(log, log.head(), {}, (record) => seen.push(record.seq), controller.signal, 20)
    await sleep(50)
    // between two polls: cut to three records, then four new ones (seq 3..6), past the last seq shown
    fs.truncateSync(log.path, offsets[3])
    for (let i = 0; i < 4; i++) log.append(event(100 + i), key)
    const error = await following.then(() => null, (error_: unknown) => error_)
    expect((error as VaultError).code).to.equal('ROLLBACK')
    expect(seen, 'nothing from the replaced log was shown as new').to.deep.equal([])
  })

  it('ends with ROLLBACK when the log is replaced by another copy', async () => {
    const other = new AuditLog({path: path.join(dir, 'other.audit')})
    for (let i = 0; i < 8; i++) other.append(event(50 + i), key)
    const following = followAudit(log, log.head(), {}, () => {}, controller.signal, 5)
    await sleep(30)
    fs.renameSync(other.path, log.path)
    const error = await following.then(() => null, (error_: unknown) => error_)
    expect((error as VaultError).code).to.equal('ROLLBACK')
  })

  it('ends with INTEGRITY when a forged unsealed record is appended', async () => {
    const following = followAudit(log, log.head(), {}, () => {}, controller.signal, 5)
    await sleep(30)
    forgeUnsealed(log, [FORGED_APPROVAL])
    const error = await following.then(() => null, (error_: unknown) => error_)
    expect((error as VaultError).code).to.equal('INTEGRITY')
  })
})
