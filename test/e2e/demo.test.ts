/**
 * The README's first command is `npm run demo`: it must run to the end on a fresh machine. Nothing
 * else exercises the whole tour, and a stricter check elsewhere (provider add refusing a built-in
 * id) once stopped it half-way without any test noticing.
 */
import {spawnSync} from 'node:child_process'

import {expect} from 'chai'

import {ROOT} from '../helpers/cli.js'

describe('the README demo', function () {
  this.timeout(180_000)

  it('runs every step to the end, exit 0, with the key masked', () => {
    const env: NodeJS.ProcessEnv = {PATH: process.env.PATH, HOME: process.env.HOME ?? '/tmp', TMPDIR: process.env.TMPDIR, NO_COLOR: '1'}
    const result = spawnSync('bash', ['scripts/demo.sh'], {cwd: ROOT, env, encoding: 'utf8', timeout: 170_000})
    const output = `${result.stdout}\n${result.stderr}`
    expect(result.status, output.slice(-3000)).to.equal(0)
    expect(output).to.include('demo done: the key never appeared in plaintext')
    expect(output).to.include('[REDACTED:OPENAI_API_KEY]')
    expect(output).to.match(/audit log ok: \d+ records/)
  })
})
