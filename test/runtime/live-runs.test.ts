import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {isSameProcess, listLiveRuns, processStartTime, registerRun, terminateRuns, type LiveRun} from '../../src/runtime/live-runs.js'
import {isAlive, sleep, startWrapper, tempDir} from './helpers.js'

const node = process.execPath

async function waitForChild(dir: string): Promise<LiveRun> {
  for (let i = 0; i < 200; i++) {
    const run = listLiveRuns(dir).find((r) => r.childPid !== null)
    if (run) return run
    await sleep(25)
  }
  throw new Error('run never recorded its child')
}

function record(overrides: Partial<LiveRun>): LiveRun {
  return {runId: 'a'.repeat(16), wrapperPid: 1, wrapperStart: '1', childPid: null, childStart: null, asset: 'x', providers: [], capabilities: [], started: new Date().toISOString(), ...overrides}
}

describe('runtime/live-runs', function () {
  this.timeout(30_000)
  let base: string
  let cleanup: () => void
  let dir: string
  beforeEach(() => {
    ;({dir: base, cleanup} = tempDir())
    dir = join(base, 'vault.json.runs')
  })
  afterEach(() => cleanup())

  it('registers a run in a 0700 folder as a 0600 record, updates the child, removes it', () => {
    const reg = registerRun(dir, {asset: 'web', providers: ['openai'], capabilities: ['chat']})
    expect(statSync(dir).mode & 0o777).to.equal(0o700)
    const file = join(dir, `${reg.runId}.json`)
    expect(statSync(file).mode & 0o777).to.equal(0o600)
    let runs = listLiveRuns(dir)
    expect(runs).to.have.length(1)
    expect(runs[0]).to.include({runId: reg.runId, wrapperPid: process.pid, asset: 'web', childPid: null})
    expect(runs[0].wrapperStart).to.equal(processStartTime(process.pid))
    expect(runs[0].providers).to.deep.equal(['openai'])
    const sleeper = spawn('sleep', ['5'])
    reg.setChild(sleeper.pid!)
    runs = listLiveRuns(dir)
    expect(runs[0].childPid).to.equal(sleeper.pid)
    expect(runs[0].childStart).to.equal(processStartTime(sleeper.pid!))
    sleeper.kill('SIGKILL')
    reg.remove()
    expect(existsSync(file)).to.equal(false)
    expect(listLiveRuns(dir)).to.deep.equal([])
  })

  it('lists nothing for a missing folder', () => {
    expect(listLiveRuns(join(base, 'nope'))).to.deep.equal([])
  })

  it('finds a running `sleep 60` and terminates it within 2 s', async () => {
    const run = startWrapper(base, {command: 'sleep', args: ['60'], mask: null, runsDir: dir})
    const live = await waitForChild(dir)
    expect(live.wrapperPid).to.equal(run.pid)
    expect(isAlive(live.childPid!)).to.equal(true)
    const started = Date.now()
    const killed = await terminateRuns(dir, (r) => r.asset === 'asset-a')
    expect(Date.now() - started).to.be.lessThan(2000)
    expect(killed.map((r) => r.runId)).to.deep.equal([live.runId])
    expect(isAlive(live.childPid!)).to.equal(false)
    const result = await run.done
    expect(result.code).to.equal(143)
    expect(listLiveRuns(dir)).to.deep.equal([])
  })

  it('SIGKILLs a run that ignores SIGTERM after the grace period', async () => {
    // the child says when its handler is in place: a fixed wait raced a slow node start under load
    const ready = join(base, 'ignores-sigterm')
    const script = "process.on('SIGTERM', () => {}); require('fs').writeFileSync(process.argv[1], 'ready'); setInterval(() => {}, 1000)"
    const run = startWrapper(base, {command: node, args: ['-e', script, ready], mask: null, runsDir: dir})
    const live = await waitForChild(dir)
    for (let i = 0; i < 600 && !existsSync(ready); i++) await sleep(25)
    expect(existsSync(ready), 'the child installed its SIGTERM handler').to.equal(true)
    const started = Date.now()
    const killed = await terminateRuns(dir, () => true, 300)
    expect(Date.now() - started).to.be.lessThan(2000)
    expect(killed).to.have.length(1)
    expect(isAlive(live.childPid!)).to.equal(false)
    const result = await run.done
    // the child was SIGKILLed, not its wrapper, which lived on to report it
    expect(result.code).to.equal(137)
    expect(readdirSync(dir)).to.deep.equal([])
  })

  it('stops a TERM-ignoring child and what it started within 2 s; the wrapper outlives it, exits 137 and learns why', async () => {
    const pids = join(base, 'pids')
    const outcomeFile = join(base, 'outcome.json')
    // the shell and the sleep it starts in the background both ignore SIGTERM (an ignored signal stays ignored across exec)
    const script = `trap '' TERM; sleep 60 & echo "$$ $!" > ${pids}.tmp; mv ${pids}.tmp ${pids}; while :; do sleep 0.1; done`
    const run = startWrapper(base, {command: 'sh', args: ['-c', script], mask: null, runsDir: dir, outcomeFile})
    const live = await waitForChild(dir)
    expect(live.childGroup, 'off a terminal the child leads its own process group').to.equal(true)
    for (let i = 0; i < 600 && !existsSync(pids); i++) await sleep(25)
    const [shell, grandchild] = readFileSync(pids, 'utf8').trim().split(' ').map(Number)
    expect(shell).to.equal(live.childPid)
    const started = Date.now()
    const killed = await terminateRuns(dir, () => true, 1200, 'kill --asset asset-a: test')
    const took = Date.now() - started
    expect(killed).to.have.length(1)
    expect(isAlive(shell), 'the child survived').to.equal(false)
    expect(isAlive(grandchild), 'what the child started survived').to.equal(false)
    expect(took).to.be.lessThan(2000)
    const result = await run.done
    expect(result.code, 'the wrapper exits 128+9 for its SIGKILLed child').to.equal(137)
    expect(result.signal).to.equal(null)
    const outcome = JSON.parse(readFileSync(outcomeFile, 'utf8')) as {exitCode: number; signal: string; stopReason?: string}
    expect(outcome).to.include({exitCode: 137, signal: 'SIGKILL', stopReason: 'kill --asset asset-a: test'})
    expect(readdirSync(dir)).to.deep.equal([])
  })

  it('leaves runs that do not match alone', async () => {
    const run = startWrapper(base, {command: 'sleep', args: ['60'], mask: null, runsDir: dir})
    const live = await waitForChild(dir)
    expect(await terminateRuns(dir, (r) => r.asset === 'other')).to.deep.equal([])
    expect(isAlive(live.childPid!)).to.equal(true)
    process.kill(run.pid, 'SIGTERM')
    await run.done
  })

  it('ignores and deletes records of dead or reused pids, and never signals them', async () => {
    // a dead pid
    const gone = spawnSync(node, ['-e', 'console.log(process.pid)'], {encoding: 'utf8'})
    const deadPid = Number(gone.stdout)
    // a live process whose start time does not match the record: a reused pid
    const bystander = spawn('sleep', ['30'])
    const bystanderStart = processStartTime(bystander.pid!) as string
    const wrongStart = String(Number(bystanderStart) - 1)
    mkdirSync(dir, {recursive: true, mode: 0o700})
    writeFileSync(join(dir, `${'1'.repeat(16)}.json`), JSON.stringify(record({runId: '1'.repeat(16), wrapperPid: deadPid, wrapperStart: '5'})))
    writeFileSync(join(dir, `${'2'.repeat(16)}.json`), JSON.stringify(record({runId: '2'.repeat(16), wrapperPid: bystander.pid, wrapperStart: wrongStart})))
    writeFileSync(join(dir, `${'3'.repeat(16)}.json`), '{not json')
    writeFileSync(join(dir, `${'4'.repeat(16)}.json`), JSON.stringify(record({runId: '5'.repeat(16), wrapperPid: process.pid, wrapperStart: processStartTime(process.pid) as string})))
    writeFileSync(join(dir, 'unrelated.txt'), 'keep')
    try {
      expect(isSameProcess(bystander.pid!, wrongStart)).to.equal(false)
      expect(isSameProcess(bystander.pid!, bystanderStart)).to.equal(true)
      expect(await terminateRuns(dir, () => true, 200)).to.deep.equal([])
      expect(isAlive(bystander.pid!)).to.equal(true)
      expect(readdirSync(dir)).to.deep.equal(['unrelated.txt'])
    } finally {
      bystander.kill('SIGKILL')
    }
  })

  it('a record whose child pid was reused is not signalled through the child entry', async () => {
    const bystander = spawn('sleep', ['30'])
    const wrapperLike = spawn('sleep', ['30'])
    await sleep(50)
    mkdirSync(dir, {recursive: true, mode: 0o700})
    writeFileSync(join(dir, `${'6'.repeat(16)}.json`), JSON.stringify(record({
      runId: '6'.repeat(16), wrapperPid: wrapperLike.pid, wrapperStart: processStartTime(wrapperLike.pid!) as string,
      childPid: bystander.pid, childStart: '1',
    })))
    try {
      const killed = await terminateRuns(dir, () => true, 200)
      expect(killed).to.have.length(1)
      expect(isAlive(wrapperLike.pid!)).to.equal(false)
      expect(isAlive(bystander.pid!)).to.equal(true)
    } finally {
      bystander.kill('SIGKILL')
      wrapperLike.kill('SIGKILL')
    }
  })

  it('refuses to create the folder where it cannot', () => {
    writeFileSync(join(base, 'file'), 'x')
    expect(() => registerRun(join(base, 'file', 'runs'), {asset: 'a', providers: [], capabilities: []})).to.throw(/cannot create the live-run folder/)
    expect(readFileSync(join(base, 'file'), 'utf8')).to.equal('x')
  })
})
