import {execFileSync, spawnSync} from 'node:child_process'
import {chmodSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Readable, Writable} from 'node:stream'

import {expect} from 'chai'

import {VaultError} from '../../src/cli/errors.js'
import {disableCoreDumps, runChild} from '../../src/runtime/child.js'
import {canary, isAlive, runWrapper, sleep, startWrapper, tempDir} from './helpers.js'

const node = process.execPath

function hasTmux(): boolean {
  return spawnSync('tmux', ['-V']).status === 0
}

describe('runtime/child', function () {
  this.timeout(30_000)
  let dir: string
  let cleanup: () => void
  beforeEach(() => ({dir, cleanup} = tempDir()))
  afterEach(() => cleanup())

  for (const mask of [null, [{env: 'K', value: 'some-secret-value-123'}]]) {
    describe(`when our own output goes away, as with \`| head\` (mask ${mask ? 'on' : 'off'})`, () => {
      /** fails on its second write, as a pipe whose reader has gone does (EPIPE) */
      const brokenAfterOneWrite = () => {
        const seen = {writes: 0}
        const stream = new Writable({write: (_chunk, _encoding, callback) => callback(++seen.writes > 1 ? Object.assign(new Error('write EPIPE'), {code: 'EPIPE'}) : null)})
        return {seen, stream: stream as unknown as NodeJS.WriteStream}
      }
      const collector = () => {
        const seen = {text: ''}
        const stream = new Writable({write: (chunk, _encoding, callback) => {
          seen.text += chunk
          callback()
        }})
        return {seen, stream: stream as unknown as NodeJS.WriteStream}
      }
      const stdin = () => Readable.from([]) as unknown as NodeJS.ReadStream

      it('closes the child\'s output pipe too: its next write fails with EPIPE, as it would without codex-vault, and its stderr still arrives', async () => {
        const out = brokenAfterOneWrite()
        const err = collector()
        // 4 MB, far more than a pipe holds: it cannot finish before our output breaks
        const script = `const b = Buffer.alloc(65536, 'x'); let n = 64
process.stdout.on('error', (e) => { process.stderr.write('child saw ' + e.code); process.exit(3) });
(function go() { while (n-- > 0) if (!process.stdout.write(b)) return process.stdout.once('drain', go); process.stderr.write('wrote everything') })()`
        const outcome = await runChild({command: node, args: ['-e', script], env: {PATH: process.env.PATH ?? ''}, mask, stdin: stdin(), stdout: out.stream, stderr: err.stream})
        // EPIPE, or ECONNRESET when the socket still held unread output as it closed
        expect(err.seen.text).to.match(/^child saw (EPIPE|ECONNRESET)$/)
        expect(outcome.exitCode).to.equal(3)
        expect(out.seen.writes).to.be.greaterThan(1)
      })

      it('ends a producer that never stops (yes), instead of relaying it into a drain for ever', async () => {
        const out = brokenAfterOneWrite()
        const err = collector()
        const outcome = await runChild({command: 'yes', args: [], env: {PATH: process.env.PATH ?? ''}, mask, stdin: stdin(), stdout: out.stream, stderr: err.stream})
        // killed by SIGPIPE, or (socket closed with output unread) exit 1 after "Connection reset by peer"
        if (outcome.signal === null) expect({exitCode: outcome.exitCode, stderr: err.seen.text}).to.deep.equal({exitCode: 1, stderr: 'yes: standard output: Connection reset by peer\n'})
        else expect(outcome).to.include({signal: 'SIGPIPE', exitCode: 141})
      })
    })
  }

  it('passes exit code 37 through (masked and unmasked)', async () => {
    for (const mask of [null, []]) {
      const result = await runWrapper(dir, {command: node, args: ['-e', 'process.exit(37)'], mask})
      expect(result.code).to.equal(37)
      expect(result.outcome).to.include({code: 37, exitCode: 37, signal: null, pty: false})
    }
  })

  for (const mask of [null, [{env: 'K', value: 'some-secret-value-123'}]]) {
    it(`SIGTERM to the wrapper reaches the child and gives 143 (mask ${mask ? 'on' : 'off'})`, async () => {
      const marker = join(dir, 'child-got-term')
      // the child notes the SIGTERM, then dies from it as the default action would
      const script = `const fs = require('fs'); setInterval(() => {}, 1000)
        process.once('SIGTERM', () => { fs.writeFileSync(${JSON.stringify(marker)}, 'yes'); process.kill(process.pid, 'SIGTERM') })
        fs.writeFileSync(${JSON.stringify(marker + '.ready')}, 'ready')`
      const run = startWrapper(dir, {command: node, args: ['-e', script], mask})
      const childPid = Number(await run.ready)
      while (!existsSync(`${marker}.ready`)) await sleep(20) // the child's handler is in place
      process.kill(run.pid, 'SIGTERM')
      const result = await run.done
      expect(result.code).to.equal(143)
      expect(result.outcome).to.include({signal: 'SIGTERM', exitCode: 143, code: null})
      expect(readFileSync(marker, 'utf8')).to.equal('yes')
      expect(isAlive(childPid)).to.equal(false)
    })
  }

  it('forwards SIGINT and SIGHUP when no terminal is shared (130, 129)', async () => {
    for (const [signal, expected] of [['SIGINT', 130], ['SIGHUP', 129]] as const) {
      const run = startWrapper(dir, {command: node, args: ['-e', 'setInterval(() => {}, 1000)'], mask: null})
      await run.ready
      await sleep(150)
      process.kill(run.pid, signal)
      const result = await run.done
      expect(result.code, signal).to.equal(expected)
      expect(result.outcome).to.include({signal})
    }
  })

  it('a child killed by SIGKILL gives 137', async () => {
    const result = await runWrapper(dir, {command: node, args: ['-e', "process.kill(process.pid, 'SIGKILL')"], mask: []})
    expect(result.code).to.equal(137)
    expect(result.outcome).to.include({signal: 'SIGKILL', exitCode: 137})
  })

  it('passes stdin through (echo hi | wrapper -- cat)', async () => {
    for (const mask of [null, [{env: 'K', value: canary()}]]) {
      const result = await runWrapper(dir, {command: 'cat', args: [], mask}, 'hi\n')
      expect(result.stdout).to.equal('hi\n')
      expect(result.code).to.equal(0)
    }
  })

  it('masks raw (split 300 ms), JSON-escaped, URL-encoded and base64 forms on stdout and stderr', async () => {
    const value = canary('"\\ &')
    const script = `
      const v = process.env.OPENAI_API_KEY
      process.stdout.write('raw ' + v.slice(0, 13))
      setTimeout(() => {
        process.stdout.write(v.slice(13) + '\\n')
        console.log(JSON.stringify({v}))
        console.log('url ' + encodeURIComponent(v))
        console.error('b64 ' + Buffer.from(v).toString('base64'))
        console.error('err ' + v)
      }, 300)`
    const result = await runWrapper(dir, {command: node, args: ['-e', script], mask: [{env: 'OPENAI_API_KEY', value}], env: {OPENAI_API_KEY: value}})
    expect(result.code).to.equal(0)
    expect(result.stdout).to.equal('raw [REDACTED:OPENAI_API_KEY]\n{"v":"[REDACTED:OPENAI_API_KEY]"}\nurl [REDACTED:OPENAI_API_KEY]\n')
    expect(result.stderr).to.equal('b64 [REDACTED:OPENAI_API_KEY]\nerr [REDACTED:OPENAI_API_KEY]\n')
    expect(result.stdout + result.stderr).to.not.include(value)
  })

  it('with mask null the child writes to the real stdio (nothing masked)', async () => {
    const value = canary()
    const result = await runWrapper(dir, {command: node, args: ['-e', 'console.log(process.env.K)'], mask: null, env: {K: value}})
    expect(result.stdout).to.equal(`${value}\n`)
  })

  it('carries large output byte for byte through the redactor', async () => {
    const script = "const b = Buffer.alloc(1 << 20); for (let i = 0; i < b.length; i++) b[i] = i * 7 % 251; process.stdout.write(b.toString('hex').repeat(2))"
    const result = await runWrapper(dir, {command: node, args: ['-e', script], mask: [{env: 'K', value: canary()}]})
    const b = Buffer.alloc(1 << 20)
    for (let i = 0; i < b.length; i++) b[i] = (i * 7) % 251
    expect(result.stdout.length).to.equal(4 << 20)
    expect(result.stdout === b.toString('hex').repeat(2)).to.equal(true)
  })

  it('reports a missing command as INVALID_INPUT with exit code 127, before spawning', async () => {
    const io = {stdin: process.stdin, stdout: process.stdout, stderr: process.stderr}
    for (const command of ['definitely-not-a-command-xyz', './nope/missing', '']) {
      try {
        await runChild({command, args: [], env: {PATH: '/usr/bin:/bin'}, mask: null, ...io})
        expect.fail('should have thrown')
      } catch (error) {
        expect(error).to.be.instanceOf(VaultError)
        expect((error as VaultError).code).to.equal('INVALID_INPUT')
        expect((error as VaultError).message).to.equal(`run: command not found: ${command}`)
        expect((error as VaultError).details).to.deep.equal({exitCode: 127})
      }
    }
    const result = await runWrapper(dir, {command: 'definitely-not-a-command-xyz', args: [], mask: []})
    expect(result.code).to.equal(127)
    expect(result.outcome).to.deep.include({error: {code: 'INVALID_INPUT', message: 'run: command not found: definitely-not-a-command-xyz', details: {exitCode: 127}}})
  })

  it('reports a non-executable file as 126 and a missing cwd clearly', async () => {
    const io = {stdin: process.stdin, stdout: process.stdout, stderr: process.stderr}
    const file = join(dir, 'script.sh')
    writeFileSync(file, '#!/bin/sh\necho hi\n')
    chmodSync(file, 0o644)
    if (process.getuid?.() !== 0) {
      const error = await runChild({command: file, args: [], env: {}, mask: null, ...io}).catch((e: unknown) => e)
      expect(error).to.be.instanceOf(VaultError)
      expect((error as VaultError).details).to.deep.equal({exitCode: 126})
    }
    const error = await runChild({command: node, args: [], env: {}, cwd: join(dir, 'missing'), mask: null, ...io}).catch((e: unknown) => e)
    expect(error).to.be.instanceOf(VaultError)
    expect((error as VaultError).message).to.match(/^run: working directory not found/)
  })

  it('finds commands on the child PATH and keeps argv as given (no shell)', async () => {
    const result = await runWrapper(dir, {command: 'node', args: ['-e', 'console.log(JSON.stringify(process.argv.slice(1)))', '$HOME', 'a b', ';ls'], mask: []})
    expect(JSON.parse(result.stdout)).to.deep.equal(['$HOME', 'a b', ';ls'])
  })

  const coreLimitScript = "console.log(require('fs').readFileSync('/proc/self/limits', 'utf8').split('\\n').find((l) => l.startsWith('Max core file size')))"

  it('disableCoreDumps leaves children with a soft RLIMIT_CORE of 0', async () => {
    const result = await runWrapper(dir, {command: node, args: ['-e', coreLimitScript], mask: null, noCore: true})
    expect(result.stdout).to.match(/Max core file size\s+0\s+\S+\s+bytes/)
    expect(typeof disableCoreDumps).to.equal('function')
  })

  it('disableCoreDumps lowers a non-zero core limit to 0:0 (prlimit)', async function () {
    if (spawnSync('prlimit', ['--core=4096', '--', 'true']).status !== 0) this.skip() // no prlimit, or a hard limit of 0
    const without = await runWrapper(dir, {command: node, args: ['-e', coreLimitScript], mask: null, launcher: ['prlimit', '--core=4096']})
    expect(without.stdout).to.match(/Max core file size\s+4096\s/)
    const result = await runWrapper(dir, {command: node, args: ['-e', coreLimitScript], mask: null, noCore: true, launcher: ['prlimit', '--core=4096']})
    expect(result.stdout).to.match(/Max core file size\s+0\s+0\s+bytes/)
  })

  describe('in a real terminal (tmux)', () => {
    before(function () {
      if (!hasTmux()) this.skip()
    })

    /** Runs a shell line in a detached 120x40 tmux pane; `keys` are typed once `readyText` shows. Returns the screen. */
    async function inTmux(line: string, options: {readyText?: string; keys?: string} = {}): Promise<string> {
      // a socket inside the test's temp folder, so nothing is left behind in /tmp/tmux-<uid>
      const socket = join(dir, `tmux-${Math.random().toString(16).slice(2)}.sock`)
      execFileSync('tmux', ['-S', socket, 'new-session', '-d', '-x', '120', '-y', '40', `cd ${process.cwd()}; ${line}; echo __DONE__; sleep 60`])
      const screen = () => execFileSync('tmux', ['-S', socket, 'capture-pane', '-p'], {encoding: 'utf8'})
      const waitFor = async (text: string) => {
        for (let i = 0; i < 150; i++) {
          const now = screen()
          if (now.includes(text)) return now
          await sleep(100)
        }
        throw new Error(`tmux: never saw ${text}:\n${screen()}`)
      }
      try {
        if (options.readyText) {
          await waitFor(options.readyText)
          execFileSync('tmux', ['-S', socket, 'send-keys', options.keys ?? ''])
        }
        return await waitFor('__DONE__')
      } finally {
        spawnSync('tmux', ['-S', socket, 'kill-server'])
      }
    }

    function wrapperLine(config: Record<string, unknown>): string {
      const file = join(dir, `config-${Math.random().toString(16).slice(2)}.json`)
      writeFileSync(file, JSON.stringify(config))
      return `${node} --import tsx test/runtime/fixtures/wrapper.ts ${file}`
    }

    it('runs the child in a pseudo-terminal: isatty true, size kept, canary masked, terminal restored', async () => {
      const value = canary()
      const outcomeFile = join(dir, 'outcome.json')
      const before = join(dir, 'stty.before')
      const after = join(dir, 'stty.after')
      const line = wrapperLine({
        command: node,
        args: ['-e', "console.log('tty=' + process.stdout.isTTY, 'cols=' + process.stdout.columns, 'rows=' + process.stdout.rows, process.env.PTY_CANARY); process.exit(37)"],
        mask: [{env: 'PTY_CANARY', value}],
        env: {PTY_CANARY: value},
        outcomeFile,
      })
      const screen = await inTmux(`stty -g > ${before}; ${line}; echo rc=$?; stty -g > ${after}`)
      expect(screen).to.include('tty=true cols=120 rows=40 [REDACTED:PTY_CANARY]')
      expect(screen).to.include('rc=37')
      expect(screen).to.not.include(value)
      expect(JSON.parse(readFileSync(outcomeFile, 'utf8'))).to.include({pty: true, exitCode: 37})
      expect(readFileSync(after, 'utf8')).to.equal(readFileSync(before, 'utf8'))
    })

    const countSigint = "let n = 0; process.on('SIGINT', () => { n++; console.error('sigint ' + n); if (n === 1) setTimeout(() => process.exit(130), 400) }); console.error('ready'); setInterval(() => {}, 1000)"

    it('Ctrl-C reaches a pseudo-terminal child exactly once', async () => {
      const line = wrapperLine({command: node, args: ['-e', countSigint], mask: [{env: 'K', value: canary()}]})
      const screen = await inTmux(`${line}; echo rc=$?`, {readyText: 'ready', keys: 'C-c'})
      expect(screen).to.include('sigint 1')
      expect(screen).to.not.include('sigint 2')
      expect(screen).to.include('rc=130')
    })

    it('Ctrl-C reaches a piped child sharing the terminal exactly once', async () => {
      const line = wrapperLine({command: node, args: ['-e', countSigint], mask: [{env: 'K', value: canary()}]})
      const screen = await inTmux(`{ ${line}; echo rc=$? >&2; } | cat`, {readyText: 'ready', keys: 'C-c'})
      expect(screen).to.include('sigint 1')
      expect(screen).to.not.include('sigint 2')
      expect(screen).to.include('rc=130')
    })
  })
})
