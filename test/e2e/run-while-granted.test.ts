/**
 * `run --while-granted` end to end on the built binary: a run ends when its grant expires or is
 * revoked (SIGTERM, then SIGKILL after the grace period), the stop is recorded before it happens
 * and named in the exit record, and without the flag a run outlives its grant (the documented
 * behaviour of plain injection).
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {assertNoCanary, explain} from '../helpers/cli.js'
import {type RunFixture, runFixture, waitForFile} from '../permissions/e2e-fixture.js'

interface Rec {type: string; outcome: string; reason?: string; data?: Record<string, unknown>}

/** A child that says it started, then runs until a signal; on SIGTERM it notes it and exits 0 unless told to ignore it. */
const LONG_CHILD = `
const fs = require('fs'), [ready, termed, ignore] = process.argv.slice(1)
process.on('SIGTERM', () => { fs.writeFileSync(termed, 'yes'); if (ignore !== 'ignore') process.exit(0) })
fs.writeFileSync(ready, String(process.pid))
setInterval(() => {}, 1000)
`

describe('run --while-granted end to end', function () {
  this.timeout(120_000)
  let fx: RunFixture
  beforeEach(async () => (fx = await runFixture({grantShop: false})))
  afterEach(() => fx?.cleanup())

  const approve = async (ttl: string) => {
    const result = await fx.cli(['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference', '--ttl', ttl])
    expect(result.code, explain(result)).to.equal(0)
  }
  const records = async (n: number): Promise<Rec[]> => (JSON.parse((await fx.cli(['audit', 'tail', '-n', String(n), '--json'])).stdout) as {result: {records: Rec[]}}).result.records

  it('ends the child once its grant expires, recording the stop before it and naming it in the exit record', async () => {
    await approve('2s')
    const [ready, termed] = [join(fx.markers, 'ready'), join(fx.markers, 'termed')]
    const started = Date.now()
    const result = await fx.cli(['run', '--asset', 'shop', '--while-granted', '--', 'node', '-e', LONG_CHILD, ready, termed])
    const took = Date.now() - started
    expect(result.code, explain(result)).to.equal(0)
    expect(readFileSync(termed, 'utf8'), 'the child got SIGTERM').to.equal('yes')
    expect(took, 'within the grant plus a check interval and start-up').to.be.lessThan(8000)
    expect(result.stderr).to.match(/stopping node \(--while-granted\): grant g_[\w-]+ expired at/)
    expect(result.stderr).to.include('codex-vault grant approve --asset shop --capability ai.openai.inference')
    const [allow, stop, exit] = await records(3)
    expect([allow.type, stop.type, exit.type]).to.deep.equal(['run.allow', 'run.stop', 'run.exit'])
    expect(stop.outcome).to.equal('deny')
    expect(stop.reason).to.match(/expired at/)
    expect(exit.data?.stoppedBecause).to.equal(stop.reason)
    assertNoCanary(result.stdout + result.stderr, [fx.keys.openai])
  })

  it('without the flag a run outlives its grant: the key is already in its environment', async () => {
    await approve('2s')
    const result = await fx.cli(['run', '--asset', 'shop', '--', 'node', '-e', 'setTimeout(() => console.log("still here"), 3500)'])
    expect(result.code, explain(result)).to.equal(0)
    expect(result.stdout).to.include('still here')
    expect((await records(2)).map((record) => record.type)).to.deep.equal(['run.allow', 'run.exit'])
  })

  it('ends the child soon after its grant is revoked, with SIGKILL when it ignores SIGTERM (exit 137)', async () => {
    await approve('1h')
    const [ready, termed] = [join(fx.markers, 'ready'), join(fx.markers, 'termed')]
    const run = fx.spawn(['run', '--asset', 'shop', '--while-granted', '--', 'node', '-e', LONG_CHILD, ready, termed, 'ignore'])
    expect(await waitForFile(ready), 'the child started').to.equal(true)
    const revoke = await fx.cli(['grant', 'revoke', '--asset', 'shop', '--reason', 'agent misbehaved'])
    expect(revoke.code, explain(revoke)).to.equal(0)
    const revokedAt = Date.now()
    const result = await run.done
    const took = Date.now() - revokedAt
    expect(result.code, explain(result)).to.equal(137)
    expect(readFileSync(termed, 'utf8'), 'SIGTERM came first').to.equal('yes')
    expect(took, 'a check interval, then the 5 s grace').to.be.within(4000, 10_000)
    expect(result.stderr).to.include('was revoked (agent misbehaved)')
    const [stop, exit] = await records(2)
    expect(stop).to.include({type: 'run.stop', outcome: 'deny'})
    expect(exit.data).to.include({signal: 'SIGKILL', exitCode: 137})
  })
})
