/**
 * The foundation end to end, through the built binary (`npx tsc -b` first): file modes under
 * umask 000, no TTY, wrong passphrase vs damaged slot, KDF bounds, a sample of damaged files,
 * passwd, and canaries in every output. Unit-level sweeps are in test/vault/codec.test.ts.
 */
import {copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {expect} from 'chai'

import {canonicalJson} from '../../src/secrets/canonical-json.js'
import {randomBytes, toB64} from '../../src/secrets/crypto.js'
import {PREFIX_BYTES, parseVaultFile} from '../../src/secrets/vault-header.js'
import {
  type CliHome, type CliResult, assertNoCanary, explain, hasStackTrace, initVault, makeHome, randomCanary, runCli, unlock,
} from '../helpers/cli.js'

const mode = (path: string) => statSync(path).mode & 0o777
const generationOf = (path: string) => parseVaultFile(readFileSync(path)).header.generation

/** A new home holding `bytes` as its vault, with a copy of the original audit log beside it. */
function cloneWith(source: CliHome, bytes: Buffer, homes: CliHome[]): CliHome {
  const home = makeHome('cv-e2e-clone-')
  homes.push(home)
  mkdirSync(dirname(home.vault), {recursive: true, mode: 0o700})
  writeFileSync(home.vault, bytes, {mode: 0o600})
  copyFileSync(`${source.vault}.audit`, `${home.vault}.audit`)
  return home
}

function rewriteHeader(bytes: Buffer, mutate: (header: Record<string, any>) => void): Buffer {
  const end = PREFIX_BYTES + bytes.readUInt32LE(12)
  const header = JSON.parse(bytes.subarray(PREFIX_BYTES, end).toString('utf8'))
  mutate(header)
  const json = Buffer.from(canonicalJson(header))
  const prefix = Buffer.from(bytes.subarray(0, PREFIX_BYTES))
  prefix.writeUInt32LE(json.length, 12)
  return Buffer.concat([prefix, json, bytes.subarray(end)])
}

/** Run with bounded parallelism (2 cores here: more only adds contention). */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  let next = 0
  await Promise.all(Array.from({length: limit}, async () => {
    while (next < items.length) {
      const index = next++
      out[index] = await fn(items[index])
    }
  }))
  return out
}

describe('foundation end to end', function () {
  this.timeout(60_000)
  const homes: CliHome[] = []
  let home: CliHome
  let passphrase: string
  let token: string

  /** Every result: no stack trace, no passphrase or token anywhere in stderr. */
  function clean(result: CliResult, secrets: string[] = [passphrase, token]): CliResult {
    expect(result.timedOut, explain(result)).to.equal(false)
    expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
    assertNoCanary(result.stderr, secrets.filter(Boolean), 'stderr')
    return result
  }

  before(async () => {
    home = makeHome()
    homes.push(home)
    passphrase = await initVault(home)
    token = await unlock(home, passphrase)
  })

  after(() => {
    for (const h of homes) h.cleanup()
  })

  it('init and unlock under umask 000: files 0600, folders 0700, data on disk, nothing readable in the vault', async () => {
    const h = makeHome()
    homes.push(h)
    const pass = randomCanary()
    const init = clean(await runCli(['init', '--passphrase-stdin', '--kdf', 'interactive'], {home: h, input: pass, umask: '000'}), [pass])
    expect(init.code, explain(init)).to.equal(0)
    assertNoCanary(init.stdout, [pass], 'init stdout')
    expect(generationOf(h.vault)).to.equal(0)
    const unlocked = clean(await runCli(['unlock', '--raw', '--passphrase-stdin'], {home: h, input: pass, umask: '000'}), [pass])
    expect(unlocked.code, explain(unlocked)).to.equal(0)
    const tok = unlocked.stdout.trim()
    assertNoCanary(unlocked.stderr, [pass, tok], 'unlock stderr')
    // NODE_ENV=test: the write really reached the disk
    expect(generationOf(h.vault)).to.equal(1)

    const vaultId = parseVaultFile(readFileSync(h.vault)).header.vaultId
    const sessionDir = join(h.runtimeDir, 'codex-vault', vaultId)
    const files = [h.vault, `${h.vault}.audit`, `${h.vault}.lock`, ...readdirSync(sessionDir).map((name) => join(sessionDir, name))]
    const folders = [dirname(h.vault), h.runtimeDir, join(h.runtimeDir, 'codex-vault'), sessionDir]
    expect(files).to.have.length(4)
    for (const file of files) expect(mode(file), file).to.equal(0o600)
    for (const folder of folders) expect(mode(folder), folder).to.equal(0o700)

    const status = clean(await runCli(['status', '--json'], {home: h, env: {CODEX_VAULT_SESSION: tok}}), [pass, tok])
    expect(status.code, explain(status)).to.equal(0)
    assertNoCanary(status.stdout, [pass, tok], 'status stdout')

    const vault = readFileSync(h.vault)
    assertNoCanary(vault, [pass, tok], 'the vault file')
    for (const word of ['sessions', 'secrets']) expect(vault.includes(word), word).to.equal(false)
    assertNoCanary(readFileSync(`${h.vault}.audit`), [pass, tok], 'the audit log')
    for (const file of files.slice(3)) assertNoCanary(readFileSync(file), [pass, tok], 'the session file')
  })

  it('missing vault: exit 3 naming codex-vault init, and no vault is created', async () => {
    const h = makeHome()
    homes.push(h)
    const results = await Promise.all([
      runCli(['status'], {home: h}),
      runCli(['unlock', '--passphrase-stdin', '--json'], {home: h, input: randomCanary()}),
    ])
    for (const result of results) {
      clean(result)
      expect(result.code, explain(result)).to.equal(3)
      expect(result.stderr + result.stdout).to.include('codex-vault init')
    }
    expect(JSON.parse(results[1].stdout).error.code).to.equal('VAULT_MISSING')
    expect(existsSync(h.vault)).to.equal(false)
    expect(existsSync(dirname(h.vault))).to.equal(false)
  })

  it('no TTY and no passphrase source: exits at once (7, or 2 for init) and never hangs', async () => {
    const h = makeHome()
    homes.push(h)
    const commands: Array<[string[], CliHome, number]> = [
      [['status'], home, 7], [['unlock'], home, 7], [['rekey'], home, 7], [['passwd'], home, 7], [['lock', '--all'], home, 7], [['init'], h, 2],
    ]
    const results = await pool(commands, 3, ([args, where]) => runCli(args, {home: where, timeoutMs: 15_000}))
    results.forEach((result, i) => {
      clean(result)
      expect(result.code, `${commands[i][0].join(' ')}: ${explain(result)}`).to.equal(commands[i][2])
      expect(result.stderr).to.match(/no (passphrase source|terminal)|locked/)
    })
    // status still prints what it could check without a key
    const vaultId = parseVaultFile(readFileSync(home.vault)).header.vaultId
    expect(results[0].stdout).to.include(vaultId)
    expect(results[0].stdout).to.include(`generation ${generationOf(home.vault)}`)
    expect(existsSync(h.vault)).to.equal(false)
  })

  it('wrong passphrase and damaged key slot: exit 4, the same message, audited without the passphrase', async () => {
    const wrong = randomCanary()
    const bytes = readFileSync(home.vault)
    const damaged = cloneWith(home, rewriteHeader(bytes, (header) => {
      const w: string = header.slots[0].wrapped
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
      header.slots[0].wrapped = `${w.slice(0, 20)}${alphabet[(alphabet.indexOf(w[20]) + 1) % 64]}${w.slice(21)}`
    }), homes)
    const damagedBytes = readFileSync(damaged.vault)
    const [byWrong, bySlot, json] = await Promise.all([
      runCli(['status', '--passphrase-stdin'], {home, input: wrong}),
      runCli(['status', '--passphrase-stdin'], {home: damaged, input: passphrase}),
      runCli(['unlock', '--passphrase-stdin', '--json'], {home, input: wrong}),
    ])
    for (const result of [byWrong, bySlot, json]) {
      clean(result, [passphrase, token, wrong])
      expect(result.code, explain(result)).to.equal(4)
      assertNoCanary(result.stdout, [passphrase, wrong], 'stdout')
    }
    expect(byWrong.stderr).to.include('wrong passphrase or damaged key slot')
    expect(bySlot.stderr).to.equal(byWrong.stderr)
    expect(JSON.parse(json.stdout)).to.deep.include({status: 4})
    expect(JSON.parse(json.stdout).error).to.include({code: 'AUTH_FAILED', message: 'wrong passphrase or damaged key slot'})
    expect(readFileSync(damaged.vault).equals(damagedBytes)).to.equal(true)
    const audit = readFileSync(`${home.vault}.audit`)
    expect(audit.includes('auth.deny')).to.equal(true)
    assertNoCanary(audit, [passphrase, wrong, token], 'the audit log')
  })

  it('KDF parameters out of bounds: exit 3 before any key derivation', async () => {
    const bytes = readFileSync(home.vault)
    // the fastest possible command on this vault: status without any passphrase source (no KDF at all)
    const baseline = clean(await runCli(['status'], {home}))
    expect(baseline.code).to.equal(7)
    const variants: Array<[string, (h: Record<string, any>) => void]> = [
      ['mem 64 GiB', (h) => { h.slots[0].kdf.mem = 64 * 1024 ** 3 }],
      ['ops 2^32-1', (h) => { h.slots[0].kdf.ops = 2 ** 32 - 1 }],
      ['mem 8 KiB', (h) => { h.slots[0].kdf.mem = 8 * 1024 }],
      ['salt of 15 bytes', (h) => { h.slots[0].kdf.salt = toB64(randomBytes(15)) }],
    ]
    for (const [name, mutate] of variants) {
      const clone = cloneWith(home, rewriteHeader(bytes, mutate), homes)
      const before = readFileSync(clone.vault)
      const result = clean(await runCli(['status', '--passphrase-stdin', '--json'], {home: clone, input: passphrase, timeoutMs: 20_000}))
      expect(result.code, `${name}: ${explain(result)}`).to.equal(3)
      expect(JSON.parse(result.stdout).error.code).to.equal('HEADER_INVALID')
      expect(JSON.parse(result.stdout).error.message).to.include('kdf')
      // no Argon2 ran: no slower than the no-key baseline plus process noise
      expect(result.ms, name).to.be.below(baseline.ms + 1000)
      expect(readFileSync(clone.vault).equals(before)).to.equal(true)
    }
  })

  it('a sample of damaged files: exit 3 or 5 (4 in the header), no stack trace, file unchanged', async function () {
    this.timeout(120_000)
    const g1 = readFileSync(home.vault)
    const headerEnd = PREFIX_BYTES + g1.readUInt32LE(12)
    const flipAt = (offset: number) => {
      const copy = Buffer.from(g1)
      copy[offset] ^= 0x04
      return copy
    }
    // generation g+1 of the same vault, for the splice
    const next = makeHome()
    homes.push(next)
    mkdirSync(dirname(next.vault), {recursive: true})
    copyFileSync(home.vault, next.vault)
    copyFileSync(`${home.vault}.audit`, `${next.vault}.audit`)
    await unlock(next, passphrase)
    const g2 = readFileSync(next.vault)
    const cases: Array<[string, Buffer, number[]]> = [
      ['flip magic', flipAt(0), [3]],
      ['flip major', flipAt(8), [3]],
      ['flip minor', flipAt(10), [3, 5]],
      ['flip length', flipAt(13), [3]],
      ['flip header', flipAt(PREFIX_BYTES + Math.floor((headerEnd - PREFIX_BYTES) / 2)), [3, 4, 5]],
      ['flip mac', flipAt(headerEnd + 5), [5]],
      ['flip body', flipAt(Math.floor((headerEnd + 56 + g1.length) / 2)), [5]],
      ['truncate to 0', g1.subarray(0, 0), [3]],
      ['truncate mid-header', g1.subarray(0, PREFIX_BYTES + 100), [3]],
      ['truncate mid-body', g1.subarray(0, Math.floor((headerEnd + 56 + g1.length) / 2)), [3, 5]],
      ['truncate to n-1', g1.subarray(0, g1.length - 1), [5]],
      ['append 4096', Buffer.concat([g1, randomBytes(4096)]), [5]],
      ['splice header g, body g+1', Buffer.concat([g1.subarray(0, headerEnd + 32), g2.subarray(headerEnd + 32)]), [5]],
    ]
    const outcomes = await pool(cases, 2, async ([name, bytes, allowed]) => {
      const clone = cloneWith(home, bytes, homes)
      const result = await runCli(['status', '--passphrase-stdin'], {home: clone, input: passphrase})
      clean(result)
      assertNoCanary(result.stdout, [passphrase, token], 'stdout')
      const unchanged = readFileSync(clone.vault).equals(bytes)
      return allowed.includes(result.code!) && unchanged ? undefined : `${name}: exit ${result.code}, unchanged ${unchanged}\n${result.stderr}`
    })
    expect(outcomes.filter(Boolean)).to.deep.equal([])
  })

  it('passwd: the new passphrase opens, the old one is refused (4), sessions stay valid', async () => {
    const h = makeHome()
    homes.push(h)
    const old = await initVault(h)
    const tok = await unlock(h, old)
    const fresh = randomCanary()
    const short = clean(await runCli(['passwd', '--new-passphrase-stdin'], {home: h, env: {CODEX_VAULT_SESSION: tok}, input: 'short'}), [old, tok])
    expect(short.code, explain(short)).to.equal(2)
    const both = clean(await runCli(['passwd', '--new-passphrase-stdin', '--passphrase-stdin'], {home: h, input: fresh}), [old, tok, fresh])
    expect(both.code, explain(both)).to.equal(2)
    const changed = clean(await runCli(['passwd', '--new-passphrase-stdin', '--json'], {home: h, env: {CODEX_VAULT_SESSION: tok}, input: `${fresh}\n`}), [old, tok, fresh])
    expect(changed.code, explain(changed)).to.equal(0)
    expect(JSON.parse(changed.stdout)).to.deep.include({status: 0})
    assertNoCanary(changed.stdout, [old, tok, fresh], 'passwd stdout')
    const [withOld, withNew, withSession] = await Promise.all([
      runCli(['status', '--passphrase-stdin'], {home: h, input: old}),
      runCli(['status', '--passphrase-stdin', '--json'], {home: h, input: fresh}),
      runCli(['status', '--json'], {home: h, env: {CODEX_VAULT_SESSION: tok}}),
    ])
    for (const result of [withOld, withNew, withSession]) clean(result, [old, tok, fresh])
    expect(withOld.code, explain(withOld)).to.equal(4)
    expect(withNew.code, explain(withNew)).to.equal(0)
    expect(withSession.code, explain(withSession)).to.equal(0)
    expect(JSON.parse(withSession.stdout).result.counts.activeSessions).to.equal(1)
    for (const file of [h.vault, `${h.vault}.audit`]) assertNoCanary(readFileSync(file), [old, tok, fresh], file)
  })
})
