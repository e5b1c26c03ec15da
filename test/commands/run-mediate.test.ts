/**
 * `run --mediate --dry-run` in-process with @oclif/test's runCommand: the plan names the base URL
 * variable and the placeholders, and a provider that cannot be mediated is refused with exit 2
 * and the capabilities that can. Keys come from `secret import` (stdin belongs to mocha). The
 * proxy itself is tested in test/runtime/mediator.test.ts and end to end in test/e2e/run-mediate.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import type {CliHome} from '../helpers/cli.js'
import {cv, homeWithSession} from '../helpers/in-process.js'
import {anthropicCanary, openaiCanary, randomAlnum} from '../permissions/e2e-fixture.js'

describe('run --mediate (in-process)', function () {
  this.timeout(60_000)
  let home: CliHome
  let session: string

  before(async function () {
    this.timeout(120_000)
    ;({home, session} = await homeWithSession('cv-cmd-mediate-'))
    const app = join(home.dir, 'app')
    mkdirSync(app)
    writeFileSync(join(app, 'package.json'), JSON.stringify({name: 'app', dependencies: {openai: '4', stripe: '14'}}))
    writeFileSync(join(app, 'index.js'), "import OpenAI from 'openai'\nimport Stripe from 'stripe'\nnew OpenAI()\nnew Stripe(process.env.STRIPE_SECRET_KEY)\n")
    const dotenv = join(home.dir, '.env')
    writeFileSync(dotenv, `OPENAI_API_KEY=${openaiCanary()}\nSTRIPE_SECRET_KEY=sk_test_${randomAlnum(99)}\nANTHROPIC_API_KEY=${anthropicCanary()}\n`)
    for (const args of [['secret', 'import', dotenv], ['bind', app, '--name', 'app'],
      ['grant', 'approve', '--asset', 'app', '--capability', 'ai.openai.inference'], ['grant', 'approve', '--asset', 'app', '--capability', 'payments.stripe.api']]) {
      const result = await cv(args, home, {session})
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).to.equal(0)
    }
  })

  after(() => home.cleanup())

  it('plans placeholders and OPENAI_BASE_URL for a mediatable capability', async () => {
    const result = await cv(['run', '--asset', 'app', '--capability', 'ai.openai.inference', '--mediate', '--dry-run', '--json'], home, {session})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.json.result.mediated).to.deep.equal([{provider: 'openai', baseUrlEnv: 'OPENAI_BASE_URL', baseUrlAliases: ['OPENAI_API_BASE'], upstream: 'https://api.openai.com/v1', placeholders: ['OPENAI_API_KEY']}])
  })

  it('refuses with exit 2 when a requested provider cannot be mediated, naming the capabilities that can', async () => {
    const result = await cv(['run', '--asset', 'app', '--mediate', '--dry-run', '--json'], home, {session})
    expect(result.code, result.stderr).to.equal(2)
    expect(result.json.error.code).to.equal('INVALID_INPUT')
    expect(result.json.error.message).to.include('stripe cannot be mediated')
    expect(result.json.error.suggestions.join(' ')).to.include('--capability ai.openai.inference')
  })

  it('without --mediate the same dry run is allowed and plans no mediation', async () => {
    const result = await cv(['run', '--asset', 'app', '--dry-run', '--json'], home, {session})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.json.result.mediated).to.equal(undefined)
    expect(result.json.result.inject.map((item: {env: string}) => item.env)).to.include.members(['OPENAI_API_KEY', 'STRIPE_SECRET_KEY'])
  })
})
