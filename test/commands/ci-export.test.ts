/**
 * `ci export` in-process with @oclif/test's runCommand: the refusals that need no grant set-up
 * (an unknown asset, a bad --ttl, --out over the vault itself); the whole flow is in
 * test/e2e/ci-export.test.ts.
 */
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import type {CliHome} from '../helpers/cli.js'
import {cv, generationOf, homeWithSession} from '../helpers/in-process.js'

describe('ci export (in-process)', function () {
  this.timeout(60_000)
  let home: CliHome
  let session: string

  before(async function () {
    this.timeout(120_000)
    ;({home, session} = await homeWithSession('cv-cmd-ci-'))
  })

  after(() => home.cleanup())

  it('refuses an unknown asset, a TTL over 90 days and the vault itself as --out, writing nothing', async () => {
    const out = join(home.dir, 'ci.cv')
    const unknown = await cv(['ci', 'export', '--asset', 'nope', '--out', out, '--json'], home, {session})
    expect(unknown.code, unknown.stderr).to.equal(2)
    expect(unknown.json.error.message).to.match(/nope/)
    const before = generationOf(home)
    const long = await cv(['ci', 'export', '--asset', 'nope', '--out', out, '--ttl', '91d', '--json'], home, {session})
    expect(long.code).to.equal(2)
    expect(long.json.error.message).to.match(/--ttl must be between 1s and 90d/)
    const self = await cv(['ci', 'export', '--asset', 'nope', '--out', home.vault, '--json'], home, {session})
    expect(self.code).to.equal(2)
    expect(self.json.error.message).to.match(/--out is the vault itself/)
    expect(existsSync(out)).to.equal(false)
    expect(generationOf(home)).to.equal(before)
  })

  it('without a session or key: exit 7, nothing written', async () => {
    const out = join(home.dir, 'locked.cv')
    const locked = await cv(['ci', 'export', '--asset', 'shop', '--out', out, '--json'], home, {})
    expect(locked.code).to.equal(7)
    expect(existsSync(out)).to.equal(false)
  })
})
