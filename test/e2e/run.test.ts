/**
 * `run` end to end on the built binary (`npx tsc -b` first): what the child's environment holds,
 * exit codes and signals, masking through a pipe and on a real terminal (tmux), --dry-run, and a
 * failed audit write. Denials are in grant.test.ts, the kill switch in kill.test.ts.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {type CliResult, BIN, ROOT, assertNoCanary, cliEnv, explain, hasStackTrace, sleep} from '../helpers/cli.js'
import {type RunFixture, markerChild, runFixture, waitForFile} from '../permissions/e2e-fixture.js'

/** A child that writes its whole environment, as JSON, to the file named by its first argument. */
const ENV_DUMP = ['node', '-e', 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.env))']

function ok(result: CliResult): CliResult {
  expect(result.timedOut, explain(result)).to.equal(false)
  expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
  return result
}

describe('run end to end', function () {
  this.timeout(120_000)
  let fx: RunFixture

  before(async () => {
    fx = await runFixture({grantShop: true})
  })

  after(() => fx?.cleanup())

  it('gives the child exactly the granted key plus the parent environment, never CODEX_VAULT_* or another asset\'s key; --clean-env keeps only the allow-list', async () => {
    const dump = join(fx.markers, 'env.json')
    const parentExtra = {CODEX_VAULT_PASSPHRASE: fx.passphrase, CODEX_VAULT_FOO: 'foo-value', APP_SETTING: 'kept'}
    const result = ok(await fx.cli(['run', '--asset', 'shop', '--no-mask', '--', ...ENV_DUMP, dump], {env: parentExtra}))
    expect(result.code, explain(result)).to.equal(0)
    const env = JSON.parse(readFileSync(dump, 'utf8')) as Record<string, string>
    expect(env.OPENAI_API_KEY).to.equal(fx.keys.openai)
    expect(env.APP_SETTING).to.equal('kept')
    expect(Object.keys(env).filter((name) => name.startsWith('CODEX_VAULT_'))).to.deep.equal([])
    expect(env).to.not.have.property('ANTHROPIC_API_KEY')
    expect(env).to.not.have.property('MISTRAL_API_KEY')
    assertNoCanary(JSON.stringify(env), [fx.passphrase, fx.token, fx.keys.anthropic, fx.keys.mistral], 'the child environment')
    // exactly: what the codex-vault process was given, minus CODEX_VAULT_*, plus the one granted key
    const parent = cliEnv({home: fx.home, env: {CODEX_VAULT_SESSION: fx.token, ...parentExtra}})
    const expected = [...Object.keys(parent).filter((name) => !name.startsWith('CODEX_VAULT_')), 'OPENAI_API_KEY'].sort()
    expect(Object.keys(env).sort()).to.deep.equal(expected)
    for (const name of expected) if (name !== 'OPENAI_API_KEY') expect(env[name], name).to.equal(parent[name])

    const cleanDump = join(fx.markers, 'clean-env.json')
    const allow = {USER: 'tester', LANG: 'C.UTF-8', TERM: 'dumb', TMPDIR: '/tmp', SHELL: '/bin/sh', LC_ALL: 'C', LC_CTYPE: 'C.UTF-8'}
    const clean = ok(await fx.cli(['run', '--asset', 'shop', '--clean-env', '--no-mask', '--', ...ENV_DUMP, cleanDump], {env: {...parentExtra, ...allow}}))
    expect(clean.code, explain(clean)).to.equal(0)
    const cleanEnv = JSON.parse(readFileSync(cleanDump, 'utf8')) as Record<string, string>
    expect(Object.keys(cleanEnv).sort()).to.deep.equal(['HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'OPENAI_API_KEY', 'PATH', 'SHELL', 'TERM', 'TMPDIR', 'USER'])
    expect(cleanEnv.OPENAI_API_KEY).to.equal(fx.keys.openai)
    expect(cleanEnv.USER).to.equal('tester')
    expect(cleanEnv.HOME).to.equal(fx.home.dir)
  })

  it('hands the child our stdin, masked or not (the lean path passes fd 0 on without reading it)', async () => {
    const input = `line one\nline two ${'x'.repeat(70_000)}\n`
    for (const mask of [[], ['--no-mask']]) {
      const result = ok(await fx.cli(['run', '--asset', 'shop', ...mask, '--', 'node', '-e', 'let n=0;process.stdin.on("data",(c)=>{n+=c.length}).on("end",()=>console.log("read", n))'], {input}))
      expect(result.code, explain(result)).to.equal(0)
      expect(result.stdout.trim(), explain(result)).to.equal(`read ${Buffer.byteLength(input)}`)
    }
  })

  it('passes exit code 37 through, 137 for a child that SIGKILLs itself, 127 for a missing command, 126 for a directory', async () => {
    const [exit37, killed, missing, folder] = [
      ok(await fx.cli(['run', '--asset', 'shop', '--', 'node', '-e', 'process.exit(37)'])),
      ok(await fx.cli(['run', '--asset', 'shop', '--', 'node', '-e', 'process.kill(process.pid, "SIGKILL")'])),
      ok(await fx.cli(['run', '--asset', 'shop', '--', join(fx.markers, 'no-such-program')])),
      ok(await fx.cli(['run', '--asset', 'shop', '--', fx.markers])),
    ]
    expect(exit37.code, explain(exit37)).to.equal(37)
    expect(killed.code, explain(killed)).to.equal(137)
    expect(missing.code, explain(missing)).to.equal(127)
    expect(missing.stderr).to.match(/^codex-vault: .*command not found/m)
    expect(folder.code, explain(folder)).to.equal(126)
    expect(folder.stderr).to.match(/^codex-vault: run: .* is a directory, not a program$/m)
  })

  it('ends with its reader, as in `run -- yes | head -n 2`: the child is not fed into a drain for ever (masked and not)', async () => {
    const env = cliEnv({home: fx.home, env: {CODEX_VAULT_SESSION: fx.token}})
    for (const mask of ['', '--no-mask']) {
      const pipeline = `"${process.execPath}" "${BIN}" run --asset shop ${mask} -- yes | head -n 2`
      const started = Date.now()
      const result = spawnSync('sh', ['-c', pipeline], {env, encoding: 'utf8', timeout: 30_000})
      expect(result.error, `${pipeline} did not end: ${result.stderr}`).to.equal(undefined)
      expect(result.stdout).to.equal('y\ny\n')
      expect(Date.now() - started).to.be.below(20_000)
    }
    // nothing left running after the pipeline ended
    expect(spawnSync('pgrep', ['-f', `${BIN} run --asset shop`]).stdout.toString().trim()).to.equal('')
  })

  it('forwards SIGTERM to the child and exits 143', async () => {
    const ready = join(fx.markers, 'sigterm-ready')
    const termed = join(fx.markers, 'sigterm-handled')
    const program = `const fs = require('fs')
process.on('SIGTERM', () => { fs.writeFileSync(process.argv[2], 'term'); process.removeAllListeners('SIGTERM'); process.kill(process.pid, 'SIGTERM') })
fs.writeFileSync(process.argv[1], String(process.pid))
setInterval(() => {}, 1000)`
    const {child, done} = fx.spawn(['run', '--asset', 'shop', '--', 'node', '-e', program, ready, termed], {timeoutMs: 60_000})
    expect(await waitForFile(ready), 'the child never started').to.equal(true)
    child.kill('SIGTERM')
    const result = ok(await done)
    expect(result.code, explain(result)).to.equal(143)
    expect(existsSync(termed), 'the child never got SIGTERM').to.equal(true)
  })

  it('never opens a debugger when the child sends SIGUSR1 to run (it is forwarded to the child instead)', async () => {
    // Node opens its inspector on SIGUSR1: a child could then read run's environment (the session
    // token) through it. The probe connects to the inspector's default port while run is still alive.
    const probe = `const net = require('net'); process.on('SIGUSR1', () => console.log('child got usr1'))
process.kill(process.ppid, 'SIGUSR1')
setTimeout(() => { const s = net.connect(9229, '127.0.0.1'); s.on('connect', () => { console.log('inspector open'); s.destroy() }); s.on('error', () => console.log('inspector closed')) }, 700)`
    const result = ok(await fx.cli(['run', '--asset', 'shop', '--', 'node', '-e', probe]))
    expect(result.code, explain(result)).to.equal(0)
    expect(result.stdout.split('\n').filter(Boolean).sort()).to.deep.equal(['child got usr1', 'inspector closed'])
    expect(result.stderr).to.not.include('Debugger listening')
  })

  it('masks every form of an injected key in piped stdout and stderr, even split across writes or cut short; --no-mask shows it', async () => {
    const approve = ok(await fx.cli(['grant', 'approve', '--asset', 'shop', '--capability', 'ai.mistral.inference']))
    expect(approve.code, explain(approve)).to.equal(0)
    const program = `const k = process.env.OPENAI_API_KEY, m = process.env.MISTRAL_API_KEY
const out = (s) => process.stdout.write(s)
out('whole:' + k + '\\n')
out('split:' + k.slice(0, 80))
setTimeout(() => {
  out(k.slice(80) + '\\n')
  out('b64:' + Buffer.from(k).toString('base64') + '\\n')
  out('b64m:' + Buffer.from(m).toString('base64') + '\\n')
  out('url:' + encodeURIComponent(m) + '\\n')
  out('json:' + JSON.stringify({k, m}) + '\\n')
  out('cut:' + k.slice(0, -1) + ' ' + k.slice(0, 90) + '\\n' + k.slice(90) + '\\n')
  process.stderr.write('err:' + k + '\\n')
}, 300)`
    const args = ['run', '--asset', 'shop', '--capability', 'ai.openai.inference', '--capability', 'ai.mistral.inference']
    const masked = ok(await fx.cli([...args, '--', 'node', '-e', program]))
    expect(masked.code, explain(masked)).to.equal(0)
    expect(masked.stdout.split('\n')).to.deep.equal([
      'whole:[REDACTED:OPENAI_API_KEY]',
      'split:[REDACTED:OPENAI_API_KEY]',
      'b64:[REDACTED:OPENAI_API_KEY]',
      'b64m:[REDACTED:MISTRAL_API_KEY]',
      'url:[REDACTED:MISTRAL_API_KEY]',
      'json:{"k":"[REDACTED:OPENAI_API_KEY]","m":"[REDACTED:MISTRAL_API_KEY]"}',
      'cut:[REDACTED:OPENAI_API_KEY] [REDACTED:OPENAI_API_KEY]',
      '[REDACTED:OPENAI_API_KEY]',
      '',
    ])
    expect(masked.stderr).to.include('err:[REDACTED:OPENAI_API_KEY]\n')
    assertNoCanary(masked.stdout + masked.stderr, [fx.keys.openai, fx.keys.mistral, fx.keys.anthropic, fx.token, fx.passphrase])

    const shown = ok(await fx.cli([...args, '--no-mask', '--', 'node', '-e', program]))
    expect(shown.code, explain(shown)).to.equal(0)
    expect(shown.stdout).to.include(`whole:${fx.keys.openai}\n`)
    expect(shown.stdout).to.include(`split:${fx.keys.openai}\n`)
    expect(shown.stdout).to.include(`url:${encodeURIComponent(fx.keys.mistral)}\n`)
    expect(shown.stderr).to.include(`err:${fx.keys.openai}\n`)
  })

  it('masks on a real terminal, where the child still sees a TTY (tmux)', async function () {
    if (spawnSync('tmux', ['-V']).status !== 0) {
      console.log('      skipped: tmux is not installed')
      this.skip()
    }
    const socket = `cv-run-${process.pid}-${Date.now()}`
    const vars = {PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: fx.home.dir, CODEX_VAULT_FILE: fx.home.vault, XDG_RUNTIME_DIR: fx.home.runtimeDir, CODEX_VAULT_SESSION: fx.token, TERM: 'xterm-256color'}
    const assignments = Object.entries(vars).map(([name, value]) => `${name}='${value}'`).join(' ')
    const done = join(fx.markers, 'tmux-done')
    const command = `cd '${ROOT}' && env -i ${assignments} '${process.execPath}' '${BIN}' run --asset shop -- node -e 'console.log(process.stdout.isTTY, process.env.OPENAI_API_KEY)'; touch '${done}'; sleep 5`
    const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'})
    try {
      const started = tmux('-f', '/dev/null', 'new-session', '-d', '-x', '100', '-y', '30', '-s', socket, command)
      expect(started.status, started.stderr).to.equal(0)
      expect(await waitForFile(done, 40_000), 'the run in tmux never finished').to.equal(true)
      await sleep(200)
      const pane = tmux('capture-pane', '-p', '-J', '-t', socket)
      expect(pane.status, pane.stderr).to.equal(0)
      expect(pane.stdout).to.include('true [REDACTED:OPENAI_API_KEY]')
      assertNoCanary(pane.stdout, [fx.keys.openai], 'the terminal')
    } finally {
      tmux('kill-server')
      rmSync(join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), {force: true})
    }
  })

  it('--dry-run (and --json) shows env names, grant, expiry and uses left, denies with the reason, and starts and changes nothing', async () => {
    const usesGrant = ok(await fx.cli(['grant', 'approve', '--asset', 'shop', '--capability', 'ai.mistral.inference', '--uses', '5', '--json']))
    expect(usesGrant.code, explain(usesGrant)).to.equal(0)
    const mistralGrant = JSON.parse(usesGrant.stdout).result
    const vaultBefore = readFileSync(fx.home.vault)
    const auditBefore = statSync(`${fx.home.vault}.audit`).size
    const marker = join(fx.markers, 'dry-run-started')
    const args = ['run', '--asset', 'shop', '--capability', 'ai.openai.inference', '--capability', 'ai.mistral.inference', '--dry-run']

    const human = ok(await fx.cli([...args, '--', ...markerChild(marker)]))
    expect(human.code, explain(human)).to.equal(0)
    expect(human.stdout).to.match(/would inject OPENAI_API_KEY \(ai\.openai\.inference, grant g_[\w-]+ until \d{4}-\d\d-\d\dT/)
    expect(human.stdout).to.include(`would inject MISTRAL_API_KEY (ai.mistral.inference, grant ${mistralGrant.id} until ${mistralGrant.expires}, 5 use(s) left)`)
    expect(human.stdout).to.include('would be allowed')

    const json = ok(await fx.cli([...args, '--json', '--', ...markerChild(marker)]))
    expect(json.code, explain(json)).to.equal(0)
    const plan = JSON.parse(json.stdout).result
    expect(plan.allowed).to.equal(true)
    expect(plan.denials).to.deep.equal([])
    const byEnv = Object.fromEntries(plan.inject.map((item: {env: string}) => [item.env, item]))
    expect(Object.keys(byEnv).sort()).to.deep.equal(['MISTRAL_API_KEY', 'OPENAI_API_KEY'])
    expect(byEnv.OPENAI_API_KEY).to.include({capability: 'ai.openai.inference', provider: 'openai', usesLeft: null})
    expect(byEnv.OPENAI_API_KEY.grant).to.match(/^g_/)
    expect(Date.parse(byEnv.OPENAI_API_KEY.expires)).to.be.greaterThan(Date.now())
    expect(byEnv.MISTRAL_API_KEY).to.include({grant: mistralGrant.id, expires: mistralGrant.expires, usesLeft: 5})

    const denied = ok(await fx.cli(['run', '--asset', 'shop', '--capability', 'ai.anthropic.inference', '--dry-run', '--', ...markerChild(marker)]))
    expect(denied.code, explain(denied)).to.equal(6)
    expect(denied.stderr).to.include('would be denied: no grant for shop -> ai.anthropic.inference')
    expect(denied.stderr).to.include('codex-vault grant approve --asset shop --capability ai.anthropic.inference')
    const deniedJson = ok(await fx.cli(['run', '--asset', 'shop', '--capability', 'ai.anthropic.inference', '--dry-run', '--json', '--', ...markerChild(marker)]))
    expect(deniedJson.code, explain(deniedJson)).to.equal(6)
    expect(deniedJson.stdout).to.include('"code": "no-grant"')
    expect(deniedJson.stdout).to.include('no grant for shop -> ai.anthropic.inference')

    expect(existsSync(marker), 'a dry run started the child').to.equal(false)
    expect(readFileSync(fx.home.vault).equals(vaultBefore), 'a dry run changed the vault').to.equal(true)
    expect(statSync(`${fx.home.vault}.audit`).size, 'a dry run wrote to the audit log').to.equal(auditBefore)
    for (const result of [human, json, denied, deniedJson]) assertNoCanary(result.stdout + result.stderr, [fx.keys.openai, fx.keys.mistral])
  })

  it('refuses (exit 2) anything positional before --: a switch given a value is never run as the command', async () => {
    const allows = async () => (JSON.parse((await fx.cli(['audit', 'tail', '--type', 'run.allow', '--json'])).stdout) as {result: {records: unknown[]}}).result.records.length
    const before = await allows()
    const marker = join(fx.markers, 'stray')
    // oclif alone would have run `false`, `1` and `yes` here, with the keys injected
    for (const stray of [['--mask=false'], ['--mediate=1'], ['--while-granted=yes'], ['node']]) {
      const result = ok(await fx.cli(['run', '--asset', 'shop', ...stray, '--', ...markerChild(marker)]))
      expect(result.code, `${stray.join(' ')}: ${explain(result)}`).to.equal(2)
      expect(result.stderr).to.match(/^codex-vault: run: only flags may come before --/)
    }
    const noSeparator = ok(await fx.cli(['run', '--asset', 'shop', ...markerChild(marker)]))
    expect(noSeparator.code, explain(noSeparator)).to.equal(2)
    expect(existsSync(marker)).to.equal(false)
    expect(await allows()).to.equal(before)
    // a later -- belongs to the command
    const passed = ok(await fx.cli(['run', '--asset', 'shop', '--', 'node', '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', 'a', '--', 'b']))
    expect(passed.code, explain(passed)).to.equal(0)
    expect(JSON.parse(passed.stdout)).to.deep.equal(['a', '--', 'b'])
  })

  it('a denied --dry-run --json reports status 6 in its envelope', async () => {
    const denied = ok(await fx.cli(['run', '--asset', 'shop', '--capability', 'ai.anthropic.inference', '--dry-run', '--json']))
    expect(denied.code, explain(denied)).to.equal(6)
    const envelope = JSON.parse(denied.stdout)
    expect(envelope.status).to.equal(6)
    expect(envelope.error.code).to.equal('POLICY_DENY')
  })

  // Last: it breaks this fixture's audit log for good.
  it('never starts the child when the audit log cannot be written (exit 8 or 10)', async () => {
    const audit = `${fx.home.vault}.audit`
    renameSync(audit, `${audit}.moved`)
    mkdirSync(audit)
    const marker = join(fx.markers, 'audit-broken-started')
    const result = ok(await fx.cli(['run', '--asset', 'shop', '--', ...markerChild(marker)]))
    console.log(`      (audit log replaced by a folder: run exited ${result.code})`)
    expect([8, 10], explain(result)).to.include(result.code)
    expect(result.stderr).to.match(/^codex-vault: /m)
    expect(existsSync(marker), 'the child started without an audit record').to.equal(false)
    assertNoCanary(result.stdout + result.stderr, [fx.keys.openai])
  })
})
