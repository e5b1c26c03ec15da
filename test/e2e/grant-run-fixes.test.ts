/**
 * QA findings on grant, run and kill, end to end on the built binary (`npm run build` first):
 * usage errors are exit 2 with a `try:` line, revocation leaves ended grants as they ended, and a
 * denial names the grant that matters, the same in text and JSON.
 */
import {expect} from 'chai'

import {type CliResult, assertNoCanary, explain, hasStackTrace} from '../helpers/cli.js'
import {type RunFixture, runFixture} from '../permissions/e2e-fixture.js'

describe('grant, run and kill: QA fixes', function () {
  this.timeout(180_000)
  let fx: RunFixture

  before(async () => {
    fx = await runFixture()
  })

  after(() => fx?.cleanup())

  async function cli(args: string[], code: number): Promise<CliResult> {
    const result = await fx.cli(args)
    expect(result.timedOut, explain(result)).to.equal(false)
    expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
    assertNoCanary(result.stdout + result.stderr, [fx.keys.openai, fx.keys.anthropic, fx.keys.mistral, fx.token, fx.passphrase])
    expect(result.code, `${args.join(' ')}\n${explain(result)}`).to.equal(code)
    return result
  }

  const approveShop = (extra: string[], code = 0) => cli(['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference', ...extra], code)

  it('grant approve: an empty --ttl is exit 2; --ttl 0 names the capability limit; a bare number is seconds, and said so', async () => {
    const empty = await approveShop(['--ttl', ''], 2)
    expect(empty.stderr).to.include('--ttl: cannot read ""').and.include('try: ').and.include('a bare number is seconds')
    const zero = await approveShop(['--ttl', '0'], 2)
    expect(zero.stderr).to.include('at most 30d for ai.openai.inference').and.include('try: ').and.not.include('366d')
    const bare = await approveShop(['--ttl', '10', '--json'], 0)
    const grant = JSON.parse(bare.stdout).result as {id: string; approved: string; expires: string}
    expect(Date.parse(grant.expires) - Date.parse(grant.approved)).to.equal(10_000)
    expect(JSON.stringify(JSON.parse(bare.stdout).warnings)).to.include('--ttl 10 is read as 10 seconds')
    await cli(['grant', 'revoke', grant.id], 0)
  })

  it('grant approve warns about a capability no provider offers and about a disabled asset', async () => {
    const nosuch = await cli(['grant', 'approve', '--asset', 'shop', '--capability', 'ai.nosuch.inference'], 0)
    expect(nosuch.stderr).to.include('no provider in the catalog offers ai.nosuch.inference').and.include('codex-vault provider list')
    await cli(['asset', 'disable', 'other'], 0)
    const disabled = await cli(['grant', 'approve', '--asset', 'other', '--capability', 'ai.anthropic.inference'], 0)
    expect(disabled.stderr).to.include('asset other is disabled').and.include('codex-vault asset enable other')
    await cli(['asset', 'enable', 'other'], 0)
  })

  it('run --capability: malformed or wildcard is exit 2 with the format error, before anything is recorded', async () => {
    const before = JSON.parse((await cli(['audit', 'tail', '--json', '-n', '1000'], 0)).stdout).result.records.length as number
    for (const capability of ['bogus', 'ai.*.inference']) {
      for (const extra of [[], ['--dry-run']]) {
        const result = await cli(['run', '--asset', 'shop', '--capability', capability, ...extra, '--', 'true'], 2)
        expect(result.stderr).to.not.include('no provider in the catalog offers')
        expect(result.stderr).to.include('try: ')
      }
    }
    expect((await cli(['run', '--asset', 'shop', '--capability', 'bogus', '--', 'true'], 2)).stderr).to.include('must be <domain>.<provider>.<action>')
    const mediated = await cli(['run', '--asset', 'shop', '--mediate', '--capability', 'payments.stripe.api', '--', 'true'], 2)
    expect(mediated.stderr).to.include('stripe cannot be mediated')
    const after = JSON.parse((await cli(['audit', 'tail', '--json', '-n', '1000'], 0)).stdout).result.records.length as number
    expect(after, 'a usage error was recorded').to.equal(before)
  })

  it('grant revoke ends only live grants and lists only those; a denial names the used-up grant, in text and JSON', async () => {
    const older = JSON.parse((await approveShop(['--json'])).stdout).result.id as string
    const expiring = JSON.parse((await approveShop(['--ttl', '1s', '--json'])).stdout).result.id as string
    await cli(['grant', 'revoke', older, '--reason', 'rotated'], 0)
    const once = JSON.parse((await approveShop(['--uses', '1', '--json'])).stdout).result.id as string
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await cli(['run', '--asset', 'shop', '--', 'true'], 0)
    const denied = await cli(['run', '--asset', 'shop', '--', 'true'], 6)
    expect(denied.stderr).to.include(`grant ${once} has no uses left`).and.not.include(older)
    const dry = await cli(['run', '--asset', 'shop', '--dry-run', '--json'], 6)
    const denial = JSON.parse(dry.stdout).error.details.plan.denials[0]
    expect(denial.reason).to.include(`grant ${once} has no uses left`)
    expect(denial.grant).to.deep.equal({id: once, state: 'used-up', capability: 'ai.openai.inference'})
    // nothing live: nothing is rewritten, and the used-up and expired grants keep how they ended
    const revoke = await cli(['grant', 'revoke', '--asset', 'shop', '--json'], 0)
    expect(JSON.parse(revoke.stdout).result.revoked).to.not.include(once).and.not.include(expiring)
    const states = Object.fromEntries((JSON.parse((await cli(['grant', 'list', '--all', '--asset', 'shop', '--json'], 0)).stdout).result.grants as {id: string; state: string}[]).map((g) => [g.id, g.state]))
    expect(states).to.include({[once]: 'used-up', [expiring]: 'expired', [older]: 'revoked'})
    const again = await cli(['grant', 'revoke', '--asset', 'shop', '--capability', 'ai.*.inference'], 0)
    expect(again.stdout).to.include('nothing to revoke')
  })

  it('grant revoke --asset nosuch, and revoke or kill with no arguments, are exit 2 with a try: line', async () => {
    expect((await cli(['grant', 'revoke', '--asset', 'nosuch'], 2)).stderr).to.include('no asset named "nosuch"')
    expect((await cli(['grant', 'revoke'], 2)).stderr).to.include('try: ')
    expect((await cli(['kill'], 2)).stderr).to.include('try: ')
  })

  it('kill --all says how to lift it', async () => {
    const killed = await cli(['kill', '--all'], 0)
    expect(killed.stdout).to.include('lift it with: codex-vault unlock').and.include('grant approve')
  })
})
