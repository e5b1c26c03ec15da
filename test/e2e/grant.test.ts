/**
 * Grants end to end on the built binary (`npx tsc -b` first): every way a run is denied (exit 6,
 * the child never starts, one `run.deny` record per attempt, the exact fix command on stderr),
 * `grant approve` validation, wildcards and `grant list` states.
 */
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {type CliResult, assertNoCanary, explain, hasStackTrace, sleep} from '../helpers/cli.js'
import {type RunFixture, markerChild, removeMarker, runFixture} from '../permissions/e2e-fixture.js'

const APPROVE_FIX = 'codex-vault grant approve --asset shop --capability ai.openai.inference'

interface AuditRecord {
  seq: number
  type: string
  asset?: string
  reason?: string
  data?: Record<string, unknown>
}

describe('grants end to end', function () {
  this.timeout(180_000)
  let fx: RunFixture
  let attempt = 0

  before(async () => {
    fx = await runFixture()
  })

  after(() => fx?.cleanup())

  function clean(result: CliResult): CliResult {
    expect(result.timedOut, explain(result)).to.equal(false)
    expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
    assertNoCanary(result.stdout + result.stderr, [fx.keys.openai, fx.keys.anthropic, fx.keys.mistral, fx.token, fx.passphrase])
    return result
  }

  async function cli(args: string[], code = 0): Promise<CliResult> {
    const result = clean(await fx.cli(args))
    expect(result.code, `${args.join(' ')}\n${explain(result)}`).to.equal(code)
    return result
  }

  async function approve(extra: string[] = []): Promise<{id: string; expires: string; usesLeft: number | null}> {
    const result = await cli(['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference', '--json', ...extra])
    return JSON.parse(result.stdout).result
  }

  /** A run of shop that starts a marker-writing child; returns the result and whether the child ran. */
  async function runShop(): Promise<{result: CliResult; started: boolean}> {
    const marker = join(fx.markers, `started-${++attempt}`)
    removeMarker(marker)
    const result = clean(await fx.cli(['run', '--asset', 'shop', '--', ...markerChild(marker)]))
    return {result, started: existsSync(marker)}
  }

  async function expectDenied(fix: string, reason: RegExp): Promise<void> {
    const {result, started} = await runShop()
    expect(result.code, explain(result)).to.equal(6)
    expect(started, 'a denied run started its child').to.equal(false)
    expect(result.stderr).to.include(fix)
    expect(result.stderr).to.match(reason)
    expect(result.stderr).to.match(/^codex-vault: run denied for asset shop/m)
    // stdin is /dev/null: never a prompt
    expect(result.stderr).to.not.include('approve for 1h?')
  }

  async function expectAllowed(): Promise<void> {
    const {result, started} = await runShop()
    expect(result.code, explain(result)).to.equal(0)
    expect(started, 'an allowed run did not start its child').to.equal(true)
  }

  async function runRecords(): Promise<AuditRecord[]> {
    const tail = await cli(['audit', 'tail', '--json', '-n', '50', '--type', 'run'])
    return JSON.parse(tail.stdout).result.records
  }

  it('denies each way with exit 6, no child, one run.deny record each and the exact fix; grant list shows every state', async () => {
    const denyReasons: RegExp[] = []
    const deny = async (fix: string, reason: RegExp) => {
      await expectDenied(fix, reason)
      denyReasons.push(reason)
    }

    // no grant at all
    await deny(APPROVE_FIX, /no grant for shop -> ai\.openai\.inference/)

    // expired: approved for 2 s, tried 2.5 s later
    const shortGrant = await approve(['--ttl', '2s'])
    expect(Date.parse(shortGrant.expires) - Date.now()).to.be.at.most(2000)
    await sleep(Math.max(0, Date.parse(shortGrant.expires) + 500 - Date.now()))
    await deny(APPROVE_FIX, new RegExp(`grant ${shortGrant.id} expired at`))

    // revoked by id
    const revokedGrant = await approve()
    const revoke = await cli(['grant', 'revoke', revokedGrant.id])
    expect(revoke.stdout).to.include(`revoked ${revokedGrant.id}`)
    await deny(APPROVE_FIX, new RegExp(`grant ${revokedGrant.id} was revoked`))

    // used up: one use, one run
    const oneUse = await approve(['--uses', '1'])
    expect(oneUse.usesLeft).to.equal(1)
    await expectAllowed()
    await deny(APPROVE_FIX, new RegExp(`grant ${oneUse.id} has no uses left`))

    // grant list: every state, before the provider kill below revokes them all
    const active = await approve()
    const all = JSON.parse((await cli(['grant', 'list', '--all', '--json'])).stdout).result.grants as {id: string; state: string}[]
    const stateOf = Object.fromEntries(all.map((grant) => [grant.id, grant.state]))
    expect(stateOf).to.include({[shortGrant.id]: 'expired', [revokedGrant.id]: 'revoked', [oneUse.id]: 'used-up', [active.id]: 'active'})
    const listed = JSON.parse((await cli(['grant', 'list', '--json', '--asset', 'shop'])).stdout).result.grants as {id: string; state: string}[]
    expect(listed.map((grant) => [grant.id, grant.state])).to.deep.equal([[active.id, 'active']])
    const table = await cli(['grant', 'list', '--all'])
    for (const state of ['active', 'expired', 'revoked', 'used-up']) expect(table.stdout).to.include(state)

    // disabled asset, with an active grant
    await cli(['asset', 'disable', 'shop', '--reason', 'maintenance'])
    await deny('codex-vault asset enable shop', /asset shop is disabled \(maintenance\)/)
    await cli(['asset', 'enable', 'shop'])
    await expectAllowed()

    // killed provider; a new approval lifts it
    await cli(['kill', '--provider', 'openai'])
    await deny(APPROVE_FIX, /provider openai was stopped with the kill switch/)
    await approve()
    await expectAllowed()

    // missing secret
    await cli(['secret', 'remove', 'openai'])
    await deny('codex-vault secret set openai', /no openai key is stored/)

    // exactly one run.deny per denied attempt, in order; one run.allow per allowed run
    const records = await runRecords()
    const denials = records.filter((record) => record.type === 'run.deny' && record.asset === 'shop')
    expect(denials.map((record) => record.reason)).to.have.length(denyReasons.length)
    denials.forEach((record, index) => expect(record.reason).to.match(denyReasons[index]))
    expect(records.filter((record) => record.type === 'run.allow' && record.asset === 'shop')).to.have.length(3)
  })

  it('grant approve refuses over-long TTLs, bad capabilities and unknown assets (exit 2); a wildcard covers its segment', async () => {
    const countGrants = async () => JSON.parse((await cli(['grant', 'list', '--all', '--json'])).stdout).result.grants.length as number
    const grantsBefore = await countGrants()
    const tooLong = await cli(['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference', '--ttl', '31d'], 2)
    expect(tooLong.stderr).to.match(/longer than the maximum of 30d/)
    expect(tooLong.stderr).to.include('nothing was approved')
    const stripe = await cli(['grant', 'approve', '--asset', 'shop', '--capability', 'payments.stripe.api', '--ttl', '8d'], 2)
    expect(stripe.stderr).to.match(/longer than the maximum of 7d/)
    await cli(['grant', 'approve', '--asset', 'shop', '--capability', 'payments.stripe.api', '--ttl', '7d'])
    for (const capability of ['openai', 'AI.OpenAI.Inference', 'ai.open*.inference']) {
      const bad = await cli(['grant', 'approve', '--asset', 'shop', '--capability', capability], 2)
      expect(bad.stderr).to.include(`capability "${capability}" must be <domain>.<provider>.<action>`)
    }
    const unknown = await cli(['grant', 'approve', '--asset', 'nosuch', '--capability', 'ai.openai.inference'], 2)
    expect(unknown.stderr).to.include('no asset named "nosuch"')
    expect(unknown.stderr).to.include('codex-vault bind PATH --name nosuch')

    expect(await countGrants(), 'a refused approval was stored').to.equal(grantsBefore + 1)

    // `other` has no openai grant; ai.*.inference covers ai.openai.inference (the first test removed the key: store it again)
    const stored = clean(await fx.cli(['secret', 'set', 'openai'], {input: fx.keys.openai}))
    expect(stored.code, explain(stored)).to.equal(0)
    const before = await cli(['run', '--asset', 'other', '--capability', 'ai.openai.inference', '--dry-run', '--json'], 6)
    expect(JSON.parse(before.stdout).error.details.plan.denials[0].code).to.equal('no-grant')
    const wildcard = JSON.parse((await cli(['grant', 'approve', '--asset', 'other', '--capability', 'ai.*.inference', '--json'])).stdout).result
    expect(wildcard.capability).to.equal('ai.*.inference')
    const after = await cli(['run', '--asset', 'other', '--capability', 'ai.openai.inference', '--dry-run', '--json'])
    const plan = JSON.parse(after.stdout).result
    expect(plan.allowed).to.equal(true)
    expect(plan.inject.map((item: {env: string; grant: string}) => [item.env, item.grant])).to.deep.equal([['OPENAI_API_KEY', wildcard.id]])
  })
})
