/**
 * The interactive approval at `run` on a real terminal (tmux): a missing grant is asked about;
 * a duration records a grant and the run goes on, masked; "n" denies with exit 6.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {BIN, ROOT, assertNoCanary, sleep} from '../helpers/cli.js'
import {type RunFixture, runFixture, waitForFile} from '../permissions/e2e-fixture.js'

describe('run asks for approval on a terminal', function () {
  this.timeout(180_000)
  let fx: RunFixture

  before(async function () {
    if (spawnSync('tmux', ['-V']).status !== 0) {
      console.log('      skipped: tmux is not installed')
      this.skip()
    }
    fx = await runFixture({grantShop: false})
  })
  after(() => fx?.cleanup())

  /** Runs `run --asset shop` in tmux, answers the prompt, and returns the pane and the exit code. */
  async function answer(reply: string, name: string, token = fx.token): Promise<{pane: string; code: number}> {
    const socket = `cv-approve-${process.pid}-${Date.now()}`
    const done = join(fx.markers, `${name}-exit`)
    const vars = {PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: fx.home.dir, CODEX_VAULT_FILE: fx.home.vault, XDG_RUNTIME_DIR: fx.home.runtimeDir, CODEX_VAULT_SESSION: token, TERM: 'xterm-256color'}
    const assignments = Object.entries(vars).map(([key, value]) => `${key}='${value}'`).join(' ')
    const command = `cd '${ROOT}' && env -i ${assignments} '${process.execPath}' '${BIN}' run --asset shop -- node -e 'console.log("child:", process.env.OPENAI_API_KEY)'; echo $? > '${done}'; sleep 5`
    const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'})
    try {
      expect(tmux('-f', '/dev/null', 'new-session', '-d', '-x', '120', '-y', '30', '-s', socket, command).status).to.equal(0)
      const deadline = Date.now() + 60_000
      while (!tmux('capture-pane', '-p', '-t', socket).stdout.includes('[y/N/duration]') && !existsSync(done) && Date.now() < deadline) await sleep(200)
      tmux('send-keys', '-t', socket, reply, 'Enter')
      expect(await waitForFile(done, 60_000), 'the run never finished').to.equal(true)
      await sleep(200)
      const pane = tmux('capture-pane', '-p', '-J', '-t', socket).stdout
      return {pane, code: Number(readFileSync(done, 'utf8').trim())}
    } finally {
      tmux('kill-server')
      rmSync(join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), {force: true})
    }
  }

  it('"n" denies with exit 6 and records no grant', async () => {
    const {pane, code} = await answer('n', 'deny')
    expect(pane).to.include('asset shop requests ai.openai.inference — approve for 8h? [y/N/duration]')
    expect(code).to.equal(6)
    expect(pane).to.include('codex-vault grant approve --asset shop --capability ai.openai.inference')
    const grants = JSON.parse((await fx.cli(['grant', 'list', '--asset', 'shop', '--all', '--json'])).stdout).result.grants
    expect(grants).to.deep.equal([])
  })

  it('does not ask with a run-only session: an agent driving the terminal could answer for the owner', async () => {
    const unlock = await fx.cli(['unlock', '--run-only', '--raw', '--passphrase-stdin'], {input: fx.passphrase})
    expect(unlock.code, unlock.stderr).to.equal(0)
    const {pane, code} = await answer('2h', 'run-only', unlock.stdout.trim())
    expect(code).to.equal(6)
    expect(pane).not.to.include('[y/N/duration]')
    expect(pane).to.include('for the vault\'s owner, in their own shell')
    const grants = JSON.parse((await fx.cli(['grant', 'list', '--asset', 'shop', '--all', '--json'])).stdout).result.grants
    expect(grants).to.deep.equal([])
  })

  it('a duration records a grant for that long, and the run goes on with the key masked', async () => {
    const before = Date.now()
    const {pane, code} = await answer('2h', 'approve')
    expect(code).to.equal(0)
    expect(pane).to.include('child: [REDACTED:OPENAI_API_KEY]')
    assertNoCanary(pane, [fx.keys.openai], 'the terminal')
    const grants = JSON.parse((await fx.cli(['grant', 'list', '--asset', 'shop', '--json'])).stdout).result.grants
    expect(grants).to.have.length(1)
    expect(grants[0]).to.include({capability: 'ai.openai.inference', reason: 'approved at the run prompt', state: 'active'})
    const ttl = Date.parse(grants[0].expires) - before
    expect(ttl).to.be.within(2 * 3_600_000 - 120_000, 2 * 3_600_000 + 1000)
    expect(existsSync(fx.home.vault)).to.equal(true)
  })
})
