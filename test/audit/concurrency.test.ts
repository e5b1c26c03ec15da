import {spawn} from 'node:child_process'
import path from 'node:path'

import {expect} from 'chai'

import {AuditLog} from '../../src/audit/log.js'
import {verifyLog} from '../../src/audit/verify.js'
import {randomKey, removeDir, tempDir} from './helpers.js'

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'append-one.ts')

function run(args: string[]): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args])
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('close', (code) => resolve({code, stdout, stderr}))
  })
}

describe('audit concurrency', () => {
  let dir: string
  beforeEach(() => (dir = tempDir()))
  afterEach(() => removeDir(dir))

  it('32 parallel appenders under an flock produce one unbroken chain', async function () {
    this.timeout(240_000) // 32 node+tsx start-ups on a small machine
    const file = path.join(dir, 'vault.cv.audit')
    const lock = path.join(dir, 'vault.cv.lock')
    const key = randomKey()
    const results = await Promise.all(Array.from({length: 32}, (_, i) => run([file, lock, String(i), key.toString('hex')])))
    for (const result of results) {
      expect(result.code, result.stderr).to.equal(0)
      expect(JSON.parse(result.stdout).ok, result.stdout).to.equal(true)
    }
    const log = new AuditLog({path: file})
    const head = log.head()!
    const report = verifyLog(log.path, key, head)
    expect(report).to.deep.include({ok: true, records: 32, sealed: 32})
    const records = log.tail({limit: 100})
    expect(records.map((r) => r.data?.index).sort((a, b) => Number(a) - Number(b))).to.deep.equal(Array.from({length: 32}, (_, i) => i))
    expect(new Set(records.map((r) => r.pid)).size).to.equal(32)
  })
})
