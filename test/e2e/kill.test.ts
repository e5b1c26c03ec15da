/**
 * The kill switch end to end on the built binary (`npx tsc -b` first): a live run is stopped
 * within 2 s and the next run is denied; `kill --all` also ends every session.
 */
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {BIN, type CliResult, assertNoCanary, explain, hasStackTrace, sleep} from '../helpers/cli.js'
import {type RunFixture, markerChild, pidExists, runFixture} from '../permissions/e2e-fixture.js'

/** A child that writes its pid to argv[1], then idles for a minute. */
const SLEEPER = ['node', '-e', 'require("fs").writeFileSync(process.argv[1], String(process.pid)); setTimeout(() => {}, 60000)']

/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0])
  } catch {
    return false
  }
}

async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (pidExists(pid)) {
    if (Date.now() >= deadline) return false
    await sleep(20)
  }
  return true
}

describe('kill switch end to end', function () {
  this.timeout(120_000)
  let fx: RunFixture

  before(async () => {
    fx = await runFixture({grantShop: true})
  })

  after(() => fx?.cleanup())

  function clean(result: CliResult): CliResult {
    expect(result.timedOut, explain(result)).to.equal(false)
    expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
    assertNoCanary(result.stdout + result.stderr, [fx.keys.openai, fx.keys.anthropic, fx.token, fx.passphrase])
    return result
  }

  /** Starts `run --asset ASSET -- <sleeper>` and waits for the child's pid. */
  async function liveRun(asset: string, name: string) {
    const pidFile = join(fx.markers, `${name}.pid`)
    const live = fx.spawn(['run', '--asset', asset, '--', ...SLEEPER, pidFile], {timeoutMs: 60_000})
    let ended: CliResult | undefined
    void live.done.then((result) => { ended = result })
    const deadline = Date.now() + 45_000
    while (!existsSync(pidFile) && ended === undefined && Date.now() < deadline) await sleep(25)
    if (!existsSync(pidFile)) throw new Error(`the ${name} child never started: ${ended ? explain(ended) : 'timed out'}`)
    // the file exists a moment before the pid is in it
    let text = readFileSync(pidFile, 'utf8')
    for (let tries = 0; !/^\d+$/.test(text) && tries < 200; tries++) {
      await sleep(10)
      text = readFileSync(pidFile, 'utf8')
    }
    const pid = Number(text)
    expect(pid, `no pid in ${pidFile}`).to.be.greaterThan(1)
    return {...live, pid}
  }

  it('kill --asset stops the live run within 2 s, disables the asset, and the next run exits 6', async () => {
    const live = await liveRun('shop', 'shop')
    expect(pidExists(live.pid)).to.equal(true)
    // what kill is about to stop is visible first: status lists the live run, its command and mode
    const status = clean(await fx.cli(['status', '--json']))
    const runs = JSON.parse(status.stdout).result.liveRuns as {asset: string; command: string; mode: string; childPid: number; capabilities: string[]}[]
    expect(runs).to.have.length(1)
    expect(runs[0]).to.include({asset: 'shop', command: 'node', mode: 'masked', childPid: live.pid})
    expect(runs[0].capabilities).to.deep.equal(['ai.openai.inference'])
    expect(clean(await fx.cli(['status'])).stdout).to.match(new RegExp(`runs {7}1 live \\(end them with codex-vault kill\\)\n  shop: node \\(pid ${live.pid}, masked\\) since `))
    const started = Date.now()
    const killing = fx.spawn(['kill', '--asset', 'shop', '--reason', 'leaked in a log'])
    let goneAt = 0
    const watch = (async () => {
      while (pidExists(live.pid) && Date.now() - started < 60_000) await sleep(10)
      goneAt = Date.now()
    })()
    const killed = clean(await killing.done)
    expect(killed.code, explain(killed)).to.equal(0)
    expect(killed.stdout).to.match(/killed asset shop: 1 grant\(s\) revoked, 1 live run\(s\) stopped/)
    expect(killed.stdout).to.include('codex-vault asset enable shop')
    // `kill` itself waits for the runs it signalled; allow 2 s more for the wrapper to reap its child
    expect(await goneWithin(live.pid, 2000), 'the child survived the kill switch').to.equal(true)
    await watch
    console.log(`      (child gone ${goneAt - started} ms after \`kill\` was started, which itself took ${killed.ms} ms)`)
    const wrapper = clean(await live.done)
    expect(wrapper.code === 143 || wrapper.signal !== null, explain(wrapper)).to.equal(true)

    expect(JSON.parse(clean(await fx.cli(['status', '--json'])).stdout).result.liveRuns, 'none live after the kill').to.deep.equal([])
    const next = clean(await fx.cli(['run', '--asset', 'shop', '--', ...markerChild(join(fx.markers, 'after-kill'))]))
    expect(next.code, explain(next)).to.equal(6)
    expect(next.stderr).to.include('asset shop is disabled (leaked in a log)')
    expect(next.stderr).to.include('codex-vault asset enable shop')
  })

  it('kill --provider stops the runs using that provider and leaves the others', async () => {
    // `other` uses anthropic only, so a provider kill of openai must leave its run alone
    const otherRun = await liveRun('other', 'other')
    const killed = clean(await fx.cli(['kill', '--provider', 'openai']))
    expect(killed.code, explain(killed)).to.equal(0)
    expect(killed.stdout).to.match(/0 live run\(s\) stopped/)
    expect(pidExists(otherRun.pid), 'an unrelated run was stopped').to.equal(true)
    const anthropic = clean(await fx.cli(['kill', '--provider', 'anthropic']))
    expect(anthropic.stdout).to.match(/1 live run\(s\) stopped/)
    expect(await goneWithin(otherRun.pid, 2000), 'the anthropic run survived').to.equal(true)
    clean(await otherRun.done)
  })

  it('kill --all stops every live run and ends every session: the old token then exits 7', async () => {
    // the provider kill above is lifted by a new approval
    const approved = clean(await fx.cli(['grant', 'approve', '--asset', 'other', '--capability', 'ai.anthropic.inference']))
    expect(approved.code, explain(approved)).to.equal(0)
    const live = await liveRun('other', 'other-all')
    const killed = clean(await fx.cli(['kill', '--all']))
    expect(killed.code, explain(killed)).to.equal(0)
    expect(killed.stdout).to.match(/killed all: [1-9]\d* grant\(s\) revoked, 1 live run\(s\) stopped, 1 session\(s\) ended/)
    expect(await goneWithin(live.pid, 2000), 'a live run survived kill --all').to.equal(true)
    clean(await live.done)
    const after = clean(await fx.cli(['grant', 'list']))
    expect(after.code, explain(after)).to.equal(7)
    const run = clean(await fx.cli(['run', '--asset', 'other', '--', ...markerChild(join(fx.markers, 'after-kill-all'))]))
    expect(run.code, explain(run)).to.equal(7)
  })

  it('kill --all run from inside a live run (an agent stopping itself) still removes every session file', async () => {
    const inside = await runFixture({grantShop: true})
    try {
      const done = join(inside.markers, 'inner-kill-started')
      // the run strips CODEX_VAULT_*: the inner kill gets the token and vault under other names, as an agent might
      const script = `touch ${done}; CODEX_VAULT_SESSION="$T" CODEX_VAULT_FILE="$F" node ${BIN} kill --all; sleep 30`
      const run = await inside.cli(['run', '--asset', 'shop', '--', 'sh', '-c', script], {env: {T: inside.token, F: inside.home.vault}, timeoutMs: 60_000})
      expect(existsSync(done), explain(run)).to.equal(true)
      expect(run.code, explain(run)).to.be.oneOf([143, 137])
      const sessions = join(inside.home.runtimeDir, 'codex-vault')
      const left = existsSync(sessions) ? readdirSync(sessions, {recursive: true, withFileTypes: true}).filter((entry) => entry.isFile()) : []
      expect(left.map((entry) => entry.name), 'a session file outlived kill --all').to.deep.equal([])
    } finally {
      inside.cleanup()
    }
  })

  it('a child that ignores SIGTERM is gone, with what it started, within 2 s of kill; the wrapper records run.exit and exits 137', async () => {
    const stubborn = await runFixture({grantShop: true})
    try {
      const pids = join(stubborn.markers, 'pids')
      // npm start -> node server, in miniature: a TERM-ignoring shell and the TERM-ignoring sleep it started
      const script = `trap '' TERM; sleep 60 & echo "$$ $!" > ${pids}.tmp; mv ${pids}.tmp ${pids}; while :; do sleep 0.1; done`
      const live = stubborn.spawn(['run', '--asset', 'shop', '--', 'sh', '-c', script], {timeoutMs: 60_000})
      let ended: CliResult | undefined
      void live.done.then((result) => { ended = result })
      const deadline = Date.now() + 45_000
      while (!existsSync(pids) && ended === undefined && Date.now() < deadline) await sleep(25)
      if (!existsSync(pids)) throw new Error(`the stubborn child never started: ${ended ? explain(ended) : 'timed out'}`)
      const [shell, grandchild] = readFileSync(pids, 'utf8').trim().split(' ').map(Number)
      const started = Date.now()
      const killing = stubborn.spawn(['kill', '--asset', 'shop', '--reason', 'stubborn'])
      let goneAt = 0
      const watch = (async () => {
        // a zombie counts as gone: it can no longer act, and who reaps an orphan (init) is not ours to time
        while ((running(shell) || running(grandchild)) && Date.now() - started < 60_000) await sleep(10)
        goneAt = Date.now()
      })()
      const killed = clean(await killing.done)
      expect(killed.code, explain(killed)).to.equal(0)
      expect(killed.stdout).to.match(/1 live run\(s\) stopped/)
      await watch
      console.log(`      (TERM-ignoring child and grandchild gone ${goneAt - started} ms after \`kill\` was started, which itself took ${killed.ms} ms)`)
      expect(goneAt - started, 'the child (or what it started) outlived the 2 s promise').to.be.lessThan(2000)
      const wrapper = clean(await live.done)
      expect(wrapper.signal, `the wrapper was killed itself: ${explain(wrapper)}`).to.equal(null)
      expect(wrapper.code, explain(wrapper)).to.equal(137)
      const tail = clean(await stubborn.cli(['audit', 'tail', '--json', '-n', '1000']))
      const exits = (JSON.parse(tail.stdout).result.records as {type: string; data: Record<string, unknown>}[]).filter((r) => r.type === 'run.exit')
      expect(exits, 'no run.exit record').to.have.length(1)
      expect(exits[0].data).to.include({exitCode: 137, signal: 'SIGKILL', stoppedBecause: 'kill --asset shop: stubborn'})
    } finally {
      stubborn.cleanup()
    }
  })
})
