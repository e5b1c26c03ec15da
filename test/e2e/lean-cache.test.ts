/**
 * bin/lean.js keeps a V8 code cache beside the lean `run` bundle, written once. It must come from a
 * run that went the whole way: a cache saved by a denied first run lacks the spawn and masking code,
 * and every later run would compile that code again. Tested on a private copy of bin/ and the
 * bundle, so the shared build's cache is left alone.
 */
import {spawn} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {ROOT, explain, type CliResult} from '../helpers/cli.js'
import {type RunFixture, runFixture} from '../permissions/e2e-fixture.js'

describe('lean run code cache', function () {
  this.timeout(120_000)
  let fx: RunFixture
  let install: string

  before(async () => {
    fx = await runFixture({grantShop: true})
    install = mkdtempSync(join(tmpdir(), 'cv-lean-cache-'))
    cpSync(join(ROOT, 'bin'), join(install, 'bin'), {recursive: true})
    mkdirSync(join(install, 'dist'))
    cpSync(join(ROOT, 'dist', 'lean-run.bundle.cjs'), join(install, 'dist', 'lean-run.bundle.cjs'))
    cpSync(join(ROOT, 'package.json'), join(install, 'package.json'))
    symlinkSync(join(ROOT, 'node_modules'), join(install, 'node_modules'))
  })

  after(() => {
    if (install) rmSync(install, {recursive: true, force: true})
    fx?.cleanup()
  })

  /** `run` through the private install, with the fixture's home and session. */
  function run(args: string[]): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [join(install, 'bin', 'run.js'), 'run', ...args], {
        env: {PATH: process.env.PATH, ...fx.home.env, CODEX_VAULT_SESSION: fx.token}, stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk) => (stdout += chunk))
      child.stderr.on('data', (chunk) => (stderr += chunk))
      child.on('close', (code, signal) => resolve({code, signal, stdout, stderr, ms: 0, timedOut: false}))
    })
  }

  it('is not written by a denied run, and is written by the first run that started its child, whatever the child\'s exit code', async () => {
    const cache = join(install, 'dist', 'lean-run.bundle.cjs.v8cache')
    const denied = await run(['--asset', 'other-missing', '--', 'true'])
    expect(denied.code, explain(denied)).to.equal(6)
    expect(existsSync(cache)).to.equal(false)
    const failed = await run(['--asset', 'shop', '--', 'node', '-e', 'process.exit(3)'])
    expect(failed.code, explain(failed)).to.equal(3)
    expect(existsSync(cache)).to.equal(true)
    const again = await run(['--asset', 'shop', '--', 'true'])
    expect(again.code, explain(again)).to.equal(0)
  })
})
