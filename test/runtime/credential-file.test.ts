import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname} from 'node:path'

import {expect} from 'chai'

import {VaultError} from '../../src/cli/errors.js'
import {writeCredentialFile} from '../../src/runtime/credential-file.js'
import {canary, runWrapper, sleep, startWrapper, tempDir} from './helpers.js'

const node = process.execPath
/** The child checks the file is there with the right content and mode, prints its path, then ends as told. */
const childScript = (end: string) => `
  const fs = require('fs'); const p = process.env.GOOGLE_APPLICATION_CREDENTIALS
  const ok = fs.readFileSync(p, 'utf8') === process.env.EXPECTED && (fs.statSync(p).mode & 0o777) === 0o600
  console.log(JSON.stringify({path: p, ok})); ${end}`

describe('runtime/credential-file', function () {
  this.timeout(30_000)
  let dir: string
  let cleanup: () => void
  beforeEach(() => ({dir, cleanup} = tempDir()))
  afterEach(() => cleanup())

  it('writes a 0600 file in a fresh 0700 folder under tmpdir and removes it on cleanup', () => {
    const value = JSON.stringify({private_key: canary()})
    const before = process.listenerCount('SIGTERM')
    const file = writeCredentialFile(value, 'sa.json')
    try {
      expect(file.path.startsWith(tmpdir())).to.equal(true)
      expect(file.path.endsWith('/sa.json')).to.equal(true)
      expect(statSync(file.path).mode & 0o777).to.equal(0o600)
      expect(statSync(dirname(file.path)).mode & 0o777).to.equal(0o700)
      expect(readFileSync(file.path, 'utf8')).to.equal(value)
      expect(process.listenerCount('SIGTERM')).to.equal(before + 1)
    } finally {
      file.cleanup()
    }
    expect(existsSync(dirname(file.path))).to.equal(false)
    expect(process.listenerCount('SIGTERM')).to.equal(before)
    file.cleanup() // twice is harmless
  })

  it('refuses file names that are paths', () => {
    for (const name of ['../x', 'a/b', '', '.', '..']) {
      expect(() => writeCredentialFile('v', name)).to.throw(VaultError, /invalid credential file name/)
    }
  })

  for (const [label, end, code] of [['exits 0', 'process.exit(0)', 0], ['exits non-zero', 'process.exit(3)', 3], ['is killed', "process.kill(process.pid, 'SIGKILL')", 137]] as const) {
    it(`is removed after the run when the child ${label}`, async () => {
      const value = canary()
      const result = await runWrapper(dir, {
        command: node, args: ['-e', childScript(end)], mask: null, env: {EXPECTED: value},
        credential: {env: 'GOOGLE_APPLICATION_CREDENTIALS', value},
      })
      expect(result.code).to.equal(code)
      const seen = JSON.parse(result.stdout) as {path: string; ok: boolean}
      expect(seen.ok).to.equal(true)
      expect(existsSync(dirname(seen.path))).to.equal(false)
    })
  }

  it('is removed when the wrapper gets SIGTERM during the run (forwarded to the child)', async () => {
    const value = canary()
    const run = startWrapper(dir, {
      command: node, args: ['-e', childScript('setInterval(() => {}, 1000)')], mask: null, env: {EXPECTED: value},
      credential: {env: 'GOOGLE_APPLICATION_CREDENTIALS', value},
    })
    await run.ready
    await sleep(300)
    process.kill(run.pid, 'SIGTERM')
    const result = await run.done
    expect(result.code).to.equal(143)
    const seen = JSON.parse(result.stdout) as {path: string; ok: boolean}
    expect(seen.ok).to.equal(true)
    expect(existsSync(dirname(seen.path))).to.equal(false)
  })

  it('is removed when the wrapper dies from a signal while no child runs', async () => {
    const value = canary()
    const before = new Set(listCredentialDirs())
    const run = startWrapper(dir, {command: node, args: ['-e', ''], mask: null, delayMs: 20_000, credential: {env: 'GOOGLE_APPLICATION_CREDENTIALS', value}})
    await run.ready
    const created = listCredentialDirs().filter((d) => !before.has(d))
    expect(created.length).to.equal(1)
    process.kill(run.pid, 'SIGTERM')
    const result = await run.done
    expect(result.signal).to.equal('SIGTERM')
    expect(existsSync(created[0])).to.equal(false)
  })
})

function listCredentialDirs(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('codex-vault-cred-')).map((n) => `${tmpdir()}/${n}`)
}
