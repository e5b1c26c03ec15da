/**
 * Concurrency and crashes (research/security.md §5 tests 16, 21, 23, 24): parallel unlocks, a lock
 * holder killed with SIGKILL, --lock-timeout, and writers killed at random moments.
 *
 * The kill loop runs 40 iterations; CODEX_VAULT_LONG_TESTS=1 runs 100. Its writer is a small
 * driver process over the built modules (dist/), so each kill lands inside the write path
 * (session file, audit append, vault replace) instead of inside oclif's start-up.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {expect} from 'chai'

import {AuditLog} from '../../src/audit/log.js'
import {bootVault} from '../../src/cli/context.js'
import {VaultError} from '../../src/cli/errors.js'
import {acquireVaultLock} from '../../src/secrets/vault-lock.js'
import {openBody, unwrapWithPassphrase} from '../../src/secrets/vault-codec.js'
import {parseVaultFile} from '../../src/secrets/vault-header.js'
import {type VaultKeys, vaultKeysFrom} from '../../src/secrets/vault-keys.js'
import {
  type CliHome, type CliResult, ROOT, assertNoCanary, cliEnv, explain, hasStackTrace, initVault, makeHome, runCli, sleep, unlock,
} from '../helpers/cli.js'

const LONG = process.env.CODEX_VAULT_LONG_TESTS === '1'
const dist = (path: string) => JSON.stringify(pathToFileURL(join(ROOT, 'dist', path)).href)

/** Holds the vault lock until killed. */
const LOCK_HOLDER = `import {acquireVaultLock} from ${dist('src/secrets/vault-lock.js')}
await acquireVaultLock(process.argv[2], 10000)
process.stdout.write('locked\\n')
setInterval(() => {}, 60000)
`

/**
 * Unlocks in a loop until killed (or `max` unlocks). "strict": exactly the CLI's code path
 * (bootVault + startSession). "tolerant": the same transact() write path, but its audit checks
 * accept any number of sealed records after the anchor, so the loop can go on
 * and test the vault file's atomicity on its own.
 */
const UNLOCK_LOOP = `import {readFileSync} from 'node:fs'
import {bootVault} from ${dist('src/cli/context.js')}
import {startSession} from ${dist('src/auth/sessions.js')}
import {createSession} from ${dist('src/auth/session.js')}
import {AuditLog} from ${dist('src/audit/log.js')}
import {openBody, unwrapWithPassphrase} from ${dist('src/secrets/vault-codec.js')}
import {parseVaultFile} from ${dist('src/secrets/vault-header.js')}
import {vaultKeysFrom} from ${dist('src/secrets/vault-keys.js')}
import {transact} from ${dist('src/secrets/vault-store.js')}
const path = process.env.CODEX_VAULT_FILE
let unlockOnce
if (process.argv[2] === 'strict') {
  const env = {vaultPath: path, lockTimeoutMs: 10000, env: process.env, fromStdin: false, stdin: process.stdin, stderr: process.stderr, now: () => new Date(), warn() {}}
  const vault = await bootVault(env, 'unlock', {ignoreSession: true})
  unlockOnce = () => startSession(vault, {env: process.env, ttlMs: 3600000, now: new Date()})
} else {
  const bytes = readFileSync(path)
  const parsed = parseVaultFile(bytes)
  const keys = vaultKeysFrom(await unwrapWithPassphrase(parsed, Buffer.from(process.env.CODEX_VAULT_PASSPHRASE)))
  const audit = new AuditLog({path: path + '.audit'})
  const check = audit.checkAnchor.bind(audit)
  audit.checkAnchor = (anchor) => check(anchor, {allowSealedAfter: 1e9})
  // an OpenedVault as bootVault builds it (the bytes let transact skip a second decrypt)
  const vault = {path, header: parsed.header, body: openBody(parsed, keys), bytes, keys, audit}
  unlockOnce = async () => {
    const session = createSession(process.env, parsed.header.vaultId, vault.keys.dek, 3600000, new Date())
    await transact(vault, {lockTimeoutMs: 10000, now: () => new Date()}, (body) => {
      body.sessions = body.sessions.slice(-20)
      body.sessions.push(session.record)
      return {result: undefined, events: [{type: 'session.unlock', outcome: 'ok', data: {session: session.record.id, expiresAt: session.record.expiresAt}}]}
    })
  }
}
process.stdout.write('ready\\n')
const max = Number(process.argv[3] || 1e9)
for (let i = 0; i < max; i++) await unlockOnce()
process.stdout.write('done\\n')
`

/** Takes the lock, appends its sealed audit record, then waits 4 s before writing the vault (like a slow transact). */
const SLOW_WRITER = `import {readFileSync} from 'node:fs'
import {AuditLog} from ${dist('src/audit/log.js')}
import {openBody, unwrapWithPassphrase} from ${dist('src/secrets/vault-codec.js')}
import {parseVaultFile} from ${dist('src/secrets/vault-header.js')}
import {vaultKeysFrom} from ${dist('src/secrets/vault-keys.js')}
import {transact} from ${dist('src/secrets/vault-store.js')}
const path = process.env.CODEX_VAULT_FILE
const bytes = readFileSync(path)
const parsed = parseVaultFile(bytes)
const keys = vaultKeysFrom(await unwrapWithPassphrase(parsed, Buffer.from(process.env.CODEX_VAULT_PASSPHRASE)))
const vault = {path, header: parsed.header, body: openBody(parsed, keys), bytes, keys, audit: new AuditLog({path: path + '.audit'})}
await transact(vault, {lockTimeoutMs: 10000, now: () => new Date()}, async () => {
  const audit = vault.audit
  const append = audit.append.bind(audit)
  audit.append = (event, key) => {
    const anchor = append(event, key)
    process.stdout.write('appended\\n')
    const until = Date.now() + 4000
    while (Date.now() < until) { /* hold the window open */ }
    return anchor
  }
  return {result: undefined, events: [{type: 'session.unlock', outcome: 'ok', data: {session: 'slow'}}]}
})
`

function startScript(home: CliHome, file: string, args: string[], env: Record<string, string> = {}): {child: ChildProcess; waitFor: (line: string) => Promise<void>; exited: Promise<number | null>} {
  const child = spawn(process.execPath, [file, ...args], {cwd: ROOT, env: cliEnv({home, env}), stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  let err = ''
  child.stdout!.on('data', (chunk) => { out += chunk })
  child.stderr!.on('data', (chunk) => { err += chunk })
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  const waitFor = async (line: string) => {
    const deadline = Date.now() + 20_000
    while (!out.includes(`${line}\n`)) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) throw new Error(`${file} did not print ${line}: ${out} ${err}`)
      await sleep(5)
    }
  }
  return {child, waitFor, exited}
}

const vaultTemps = (home: CliHome) => readdirSync(dirname(home.vault)).filter((name) => /^\.vault\.cv\..*\.tmp$/.test(name))

describe('foundation concurrency and crashes', function () {
  this.timeout(120_000)
  const homes: CliHome[] = []
  const fresh = () => {
    const home = makeHome('cv-e2e-conc-')
    homes.push(home)
    return home
  }

  after(() => {
    for (const home of homes) home.cleanup()
  })

  /** The data key, unwrapped once in this process, to check the file after every event without a KDF. */
  async function keysOf(home: CliHome, passphrase: string): Promise<VaultKeys> {
    return vaultKeysFrom(await unwrapWithPassphrase(parseVaultFile(readFileSync(home.vault)), Buffer.from(passphrase)))
  }

  /** 32 unlocks at once while this process re-opens the vault file every 10 ms. */
  async function parallelUnlocks(): Promise<{home: CliHome; passphrase: string; keys: VaultKeys; results: CliResult[]; corrupt: string[]; reads: number}> {
    const home = fresh()
    const passphrase = await initVault(home)
    const keys = await keysOf(home, passphrase)
    let polling = true
    let reads = 0
    const corrupt: string[] = []
    const poller = (async () => {
      while (polling) {
        try {
          openBody(parseVaultFile(readFileSync(home.vault)), keys)
          reads++
        } catch (error) {
          corrupt.push((error as Error).message)
        }
        await sleep(10)
      }
    })()
    // NODE_ENV=production here only: under NODE_ENV=test oclif registers tsx in every process, which
    // doubles the CPU of 32 simultaneous start-ups; the concurrency under test is the same
    const results = await Promise.all(Array.from({length: 32}, () =>
      runCli(['unlock', '--raw', '--passphrase-stdin', '--lock-timeout', '300s'], {home, input: passphrase, env: {NODE_ENV: 'production'}, timeoutMs: 400_000})))
    polling = false
    await poller
    return {home, passphrase, keys, results, corrupt, reads}
  }

  it('32 parallel unlocks: every success registered exactly once, no lost update, the file never corrupt', async function () {
    this.timeout(420_000)
    const {home, passphrase, keys, results, corrupt, reads} = await parallelUnlocks()
    try {
      const ok = results.filter((result) => result.code === 0)
      for (const result of results) {
        expect(result.timedOut, explain(result)).to.equal(false)
        expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
        expect(result.code, explain(result)).to.equal(0)
      }
      const tokens = ok.map((result) => result.stdout.trim())
      expect(new Set(tokens).size).to.equal(ok.length)
      expect(corrupt).to.deep.equal([])
      expect(reads).to.be.above(0)
      const body = openBody(parseVaultFile(readFileSync(home.vault)), keys)
      expect(body.generation).to.equal(ok.length)
      expect(body.sessions).to.have.length(ok.length)
      expect(new AuditLog({path: `${home.vault}.audit`}).tail({limit: 1000, type: 'session.unlock'})).to.have.length(ok.length)
      assertNoCanary(readFileSync(`${home.vault}.audit`), [passphrase, ...tokens], 'the audit log')
      assertNoCanary(readFileSync(home.vault), [passphrase, ...tokens], 'the vault file')
    } finally {
      keys.wipe()
    }
  })

  it('32 parallel unlocks all exit 0 and all 32 sessions are registered', async function () {
    this.timeout(420_000)
    const {home, passphrase, keys, results} = await parallelUnlocks()
    keys.wipe()
    for (const result of results) expect(result.code, explain(result)).to.equal(0)
    const status = await runCli(['status', '--json', '--passphrase-stdin'], {home, input: passphrase})
    expect(status.code, explain(status)).to.equal(0)
    expect(JSON.parse(status.stdout).result.counts.activeSessions).to.equal(32)
    expect(new AuditLog({path: `${home.vault}.audit`}).tail({limit: 1000, type: 'session.unlock'})).to.have.length(32)
  })

  // Boot checks the audit anchor without the vault lock, so it can run while a writer inside
  // transact() has appended its sealed record but not yet replaced the vault (found by the test above).
  it('a command booting while another is between its audit append and its vault write still succeeds', async () => {
    const home = fresh()
    const passphrase = await initVault(home)
    const script = join(home.dir, 'slow-writer.mjs')
    writeFileSync(script, SLOW_WRITER)
    const writer = startScript(home, script, [], {CODEX_VAULT_PASSPHRASE: passphrase})
    try {
      await writer.waitFor('appended')
      const status = await runCli(['status', '--passphrase-stdin'], {home, input: passphrase})
      expect(status.code, explain(status)).to.equal(0)
    } finally {
      await writer.exited
    }
    expect((await runCli(['status', '--passphrase-stdin'], {home, input: passphrase})).code).to.equal(0)
  })

  describe('the vault lock', () => {
    let home: CliHome
    let passphrase: string
    let holderFile: string

    before(async () => {
      home = fresh()
      passphrase = await initVault(home)
      holderFile = join(home.dir, 'hold-lock.mjs')
      writeFileSync(holderFile, LOCK_HOLDER)
    })

    it('a holder killed with SIGKILL does not block the next command', async () => {
      const holder = startScript(home, holderFile, [home.vault])
      await holder.waitFor('locked')
      await expectBusy(home.vault)
      holder.child.kill('SIGKILL')
      await holder.exited
      const started = Date.now()
      const lock = await acquireVaultLock(home.vault, 1000)
      lock.release()
      expect(Date.now() - started).to.be.below(1000)
      // --lock-timeout 1s: succeeding proves the command got the lock within a second
      const result = await runCli(['unlock', '--raw', '--passphrase-stdin', '--lock-timeout', '1s'], {home, input: passphrase})
      expect(result.code, explain(result)).to.equal(0)
    })

    it('--lock-timeout 1s while a live process holds the lock: exit 9, nothing changed', async () => {
      // the same command with the lock free, to subtract start-up and KDF time
      const baseline = await runCli(['unlock', '--raw', '--passphrase-stdin'], {home, input: passphrase})
      expect(baseline.code, explain(baseline)).to.equal(0)
      const holder = startScript(home, holderFile, [home.vault])
      await holder.waitFor('locked')
      try {
        const before = readFileSync(home.vault)
        const vaultId = parseVaultFile(before).header.vaultId
        const sessions = () => readdirSync(join(home.runtimeDir, 'codex-vault', vaultId)).length
        const sessionsBefore = sessions()
        const result = await runCli(['unlock', '--passphrase-stdin', '--lock-timeout', '1s', '--json'], {home, input: passphrase})
        expect(result.code, explain(result)).to.equal(9)
        const json = JSON.parse(result.stdout)
        expect(json.status).to.equal(9)
        expect(json.error.code).to.equal('VAULT_BUSY')
        expect(result.ms).to.be.within(1000, baseline.ms + 3000)
        const text = await runCli(['unlock', '--passphrase-stdin', '--lock-timeout', '1s'], {home, input: passphrase})
        expect(text.code).to.equal(9)
        expect(text.stderr).to.include('busy')
        expect(hasStackTrace(text.stderr)).to.equal(false)
        expect(readFileSync(home.vault).equals(before)).to.equal(true)
        expect(sessions()).to.equal(sessionsBefore) // the session file made before the lock was removed again
      } finally {
        holder.child.kill('SIGKILL')
        await holder.exited
      }
    })
  })

  async function expectBusy(vault: string): Promise<void> {
    let caught: unknown
    try {
      (await acquireVaultLock(vault, 50)).release()
    } catch (error) {
      caught = error
    }
    expect(caught).to.be.instanceOf(VaultError)
    expect((caught as VaultError).code).to.equal('VAULT_BUSY')
  }

  /**
   * Kill the unlock loop at a random 0-300 ms after it is ready, `iterations` times. After each
   * kill the vault file must open with its key at the same or a newer generation; in strict mode it
   * must also boot exactly as a command boots it (bootVault: header, slot, MAC, body, clock, audit).
   */
  async function killLoop(mode: 'strict' | 'tolerant', iterations: number): Promise<{home: CliHome; passphrase: string; loopFile: string; writes: number}> {
    const home = fresh()
    const passphrase = await initVault(home)
    const keys = await keysOf(home, passphrase)
    const loopFile = join(home.dir, 'unlock-loop.mjs')
    writeFileSync(loopFile, UNLOCK_LOOP)
    const env = {
      vaultPath: home.vault, lockTimeoutMs: 10_000, env: cliEnv({home}), fromStdin: false, stdin: process.stdin, stderr: process.stderr,
      now: () => new Date(), warn: () => {},
    }
    let generation = 0
    try {
      for (let i = 0; i < iterations; i++) {
        const run = startScript(home, loopFile, [mode], {CODEX_VAULT_PASSPHRASE: passphrase})
        await run.waitFor('ready')
        await sleep(Math.floor(Math.random() * 300))
        run.child.kill('SIGKILL')
        await run.exited
        const parsed = parseVaultFile(readFileSync(home.vault))
        openBody(parsed, keys) // throws, failing the test, on a torn or corrupt file
        expect(parsed.header.generation, `iteration ${i}`).to.be.at.least(generation)
        generation = parsed.header.generation
        if (mode === 'strict') {
          try {
            (await bootVault(env, 'status', {passphrase: Buffer.from(passphrase)})).close()
          } catch (error) {
            throw new Error(`iteration ${i}: the vault does not boot after a kill: ${(error as Error).message}`)
          }
        }
      }
    } finally {
      keys.wipe()
    }
    return {home, passphrase, loopFile, writes: generation}
  }

  it(`kill -9 at random moments during unlock writes (${LONG ? 100 : 40}x): the vault file is never torn, one clean write later it boots with no temp orphans`, async function () {
    this.timeout(LONG ? 600_000 : 240_000)
    const {home, passphrase, loopFile, writes} = await killLoop('tolerant', LONG ? 100 : 40)
    expect(writes).to.be.above(0)
    // one uninterrupted write: removes temp orphans and anchors the audit log at its newest record
    const last = startScript(home, loopFile, ['tolerant', '1'], {CODEX_VAULT_PASSPHRASE: passphrase})
    await last.waitFor('done')
    await last.exited
    expect(vaultTemps(home)).to.deep.equal([])
    const status = await runCli(['status', '--passphrase-stdin'], {home, input: passphrase})
    expect(status.code, explain(status)).to.equal(0)
  })

  it(`kill -9 at random moments during unlock (${LONG ? 100 : 40}x): the vault boots after every kill`, async function () {
    this.timeout(LONG ? 600_000 : 240_000)
    const {home, passphrase} = await killLoop('strict', LONG ? 100 : 40)
    const status = await runCli(['status', '--passphrase-stdin'], {home, input: passphrase})
    expect(status.code, explain(status)).to.equal(0)
    await unlock(home, passphrase)
    expect(vaultTemps(home)).to.deep.equal([])
  })

  it('two crashes in a row between the audit append and the vault write leave a vault that still boots', async () => {
    const home = fresh()
    const passphrase = await initVault(home)
    const keys = await keysOf(home, passphrase)
    openBody(parseVaultFile(readFileSync(home.vault)), keys)
    const audit = new AuditLog({path: `${home.vault}.audit`})
    for (const session of ['crash-1', 'crash-2']) audit.append({type: 'session.unlock', outcome: 'ok', data: {session, vaultGeneration: 1}}, keys.audit)
    keys.wipe()
    const status = await runCli(['status', '--passphrase-stdin'], {home, input: passphrase})
    expect(status.code, explain(status)).to.equal(0)
  })

  it('a sealed record for any other generation than the next is a rollback (exit 10)', async () => {
    const home = fresh()
    const passphrase = await initVault(home)
    const keys = await keysOf(home, passphrase)
    openBody(parseVaultFile(readFileSync(home.vault)), keys)
    // what a vault restored two writes back looks like: the log holds the records of generations 1 and 2
    const audit = new AuditLog({path: `${home.vault}.audit`})
    for (const vaultGeneration of [1, 2]) audit.append({type: 'session.unlock', outcome: 'ok', data: {vaultGeneration}}, keys.audit)
    keys.wipe()
    const status = await runCli(['status', '--passphrase-stdin'], {home, input: passphrase})
    expect(status.code, explain(status)).to.equal(10)
  })

  it('a crash between the audit append and the vault write leaves a vault that still boots', async () => {
    const home = fresh()
    const passphrase = await initVault(home)
    const keys = await keysOf(home, passphrase)
    openBody(parseVaultFile(readFileSync(home.vault)), keys)
    // what kill -9 right after transact()'s audit fsync leaves: a sealed record the vault never anchored
    new AuditLog({path: `${home.vault}.audit`}).append({type: 'session.unlock', outcome: 'ok', data: {session: 'crashed', vaultGeneration: 1}}, keys.audit)
    keys.wipe()
    const status = await runCli(['status', '--passphrase-stdin'], {home, input: passphrase})
    expect(status.code, explain(status)).to.equal(0)
    const token = await unlock(home, passphrase)
    expect((await runCli(['status'], {home, env: {CODEX_VAULT_SESSION: token}})).code).to.equal(0)
  })
})
