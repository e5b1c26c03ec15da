/** Session tokens and files (research/security.md §4.3) at unit level: every bad token is NO_SESSION (exit 7). */
import {existsSync, readFileSync, readdirSync, statSync, symlinkSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {
  claimedSessionScope, createSession, isDamagedSessionFile, openSession, pruneSessionFiles, removeAllSessionFiles, removeSessionFile, sessionDir, sessionIdOfToken,
} from '../../src/auth/session.js'
import {randomKey, toB64, wipe} from '../../src/secrets/crypto.js'
import {expectThrows, tempDir} from './helpers.js'

const HOUR = 3_600_000

describe('sessions', () => {
  let t: ReturnType<typeof tempDir>
  let env: NodeJS.ProcessEnv
  let dek: Buffer
  const vaultId = toB64(Buffer.alloc(16, 7))
  const now = new Date('2030-01-01T00:00:00.000Z')

  beforeEach(() => {
    t = tempDir()
    env = {XDG_RUNTIME_DIR: join(t.dir, 'run'), HOME: t.dir}
    dek = randomKey()
  })
  afterEach(() => {
    wipe(dek)
    t.cleanup()
  })

  const fileOf = (token: string) => join(sessionDir(env, vaultId), sessionIdOfToken(token)!)
  const expectNoSession = (fn: () => unknown) => expect(expectThrows(fn, 'NO_SESSION').exitCode).to.equal(7)
  const expectDamaged = (fn: () => unknown) => {
    const error = expectThrows(fn, 'INTEGRITY')
    expect(error.exitCode).to.equal(5)
    expect(error.message).to.match(/^the session file is damaged/)
    expect(isDamagedSessionFile(error)).to.equal(true)
  }

  it('creates a token and a 0600 file in 0700 folders (umask 000) that opens to the data key', () => {
    const old = process.umask(0)
    let token: string
    try {
      token = createSession(env, vaultId, dek, HOUR, now).token
    } finally {
      process.umask(old)
    }
    expect(token).to.match(/^cvs1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/)
    expect(statSync(fileOf(token)).mode & 0o777).to.equal(0o600)
    expect(statSync(sessionDir(env, vaultId)).mode & 0o777).to.equal(0o700)
    expect(statSync(join(t.dir, 'run', 'codex-vault')).mode & 0o777).to.equal(0o700)
    const opened = openSession(env, token, vaultId, new Date(now.getTime() + 1000))
    expect(opened.dek.equals(dek)).to.equal(true)
    expect(opened.expiresAt).to.equal(new Date(now.getTime() + HOUR).toISOString())
    // the file holds neither the data key nor the token's key
    const file = readFileSync(fileOf(token))
    expect(file.includes(dek)).to.equal(false)
    expect(file.toString().includes(token.split('.')[2])).to.equal(false)
    expect(readdirSync(sessionDir(env, vaultId))).to.have.length(1)
  })

  it('binds a run-only scope to the wrapped key: dropping it, or adding it to a full session, breaks the session', () => {
    const runOnly = createSession(env, vaultId, dek, HOUR, now, 'run')
    expect(runOnly.record.scope).to.equal('run')
    const opened = openSession(env, runOnly.token, vaultId, now)
    expect(opened.scope).to.equal('run')
    expect(opened.dek.equals(dek)).to.equal(true)
    const edited = JSON.parse(readFileSync(fileOf(runOnly.token), 'utf8')) as Record<string, unknown>
    delete edited.scope
    writeFileSync(fileOf(runOnly.token), JSON.stringify(edited))
    expectNoSession(() => openSession(env, runOnly.token, vaultId, now))

    const full = createSession(env, vaultId, dek, HOUR, now)
    expect(full.record).not.to.have.property('scope')
    expect(openSession(env, full.token, vaultId, now)).not.to.have.property('scope')
    const widened = JSON.parse(readFileSync(fileOf(full.token), 'utf8')) as Record<string, unknown>
    writeFileSync(fileOf(full.token), JSON.stringify({...widened, scope: 'run'}))
    expectNoSession(() => openSession(env, full.token, vaultId, now))
    writeFileSync(fileOf(full.token), JSON.stringify({...widened, scope: 'admin'}))
    expectDamaged(() => openSession(env, full.token, vaultId, now))
  })

  it('falls back to ~/.cache/codex-vault without XDG_RUNTIME_DIR', () => {
    const home = {HOME: t.dir}
    const {token} = createSession(home, vaultId, dek, HOUR, now)
    expect(sessionDir(home, vaultId)).to.equal(join(t.dir, '.cache', 'codex-vault', vaultId))
    expect(openSession(home, token, vaultId, now).dek.equals(dek)).to.equal(true)
  })

  it('refuses an expired session (at and after expiresAt) and deletes its file, so the old token unwraps nothing', () => {
    const {token} = createSession(env, vaultId, dek, 1000, now)
    expect(openSession(env, token, vaultId, new Date(now.getTime() + 999)).sessionId).to.be.a('string')
    const error = expectThrows(() => openSession(env, token, vaultId, new Date(now.getTime() + 1000)), 'NO_SESSION')
    expect(error.message).to.equal('the session has expired')
    expect(existsSync(fileOf(token))).to.equal(false)
    // even with the clock moved back, the key is gone
    expectNoSession(() => openSession(env, token, vaultId, now))
  })

  it('checks the expiry before touching the key: an expired file with a wrong token is still deleted', () => {
    const {token} = createSession(env, vaultId, dek, 1000, now)
    const [prefix, id, key] = token.split('.')
    const wrong = `${prefix}.${id}.${key[0] === 'A' ? 'B' : 'A'}${key.slice(1)}`
    expect(expectThrows(() => openSession(env, wrong, vaultId, new Date(now.getTime() + HOUR)), 'NO_SESSION').message).to.equal('the session has expired')
    expect(existsSync(fileOf(token))).to.equal(false)
  })

  it('prunes the files of expired and ended sessions, and leaves live, damaged and foreign files alone', () => {
    const live = createSession(env, vaultId, dek, 2 * HOUR, now)
    const expired = createSession(env, vaultId, dek, 1000, now)
    const ended = createSession(env, vaultId, dek, 2 * HOUR, now)
    const damaged = createSession(env, vaultId, dek, 1000, now)
    writeFileSync(fileOf(damaged.token), '{"v":1')
    const dir = sessionDir(env, vaultId)
    writeFileSync(join(dir, '.tmp-of-a-writer'), 'x')
    const later = new Date(now.getTime() + HOUR)
    expect(pruneSessionFiles(env, vaultId, later, new Set([ended.record.id]))).to.equal(2)
    expect(readdirSync(dir).sort()).to.deep.equal(['.tmp-of-a-writer', damaged.record.id, live.record.id].sort())
    expect(openSession(env, live.token, vaultId, later).sessionId).to.equal(live.record.id)
    expect(existsSync(fileOf(expired.token))).to.equal(false)
    expect(pruneSessionFiles(env, toB64(Buffer.alloc(16, 9)), later)).to.equal(0) // no folder: nothing to do
  })

  it('reads the scope a session file claims, without its key', () => {
    const runOnly = createSession(env, vaultId, dek, HOUR, now, 'run')
    const full = createSession(env, vaultId, dek, HOUR, now)
    expect(claimedSessionScope(env, runOnly.token, vaultId)).to.equal('run')
    expect(claimedSessionScope(env, full.token, vaultId)).to.equal(undefined)
    expect(claimedSessionScope(env, 'garbage', vaultId)).to.equal(undefined)
  })

  it('refuses a deleted session file', () => {
    const {token} = createSession(env, vaultId, dek, HOUR, now)
    unlinkSync(fileOf(token))
    expectNoSession(() => openSession(env, token, vaultId, now))
  })

  it('refuses an edited expiry (bound as associated data)', () => {
    const {token} = createSession(env, vaultId, dek, 1000, now)
    const file = JSON.parse(readFileSync(fileOf(token), 'utf8'))
    file.expiresAt = new Date(now.getTime() + 365 * 24 * HOUR).toISOString()
    writeFileSync(fileOf(token), JSON.stringify(file))
    const error = expectThrows(() => openSession(env, token, vaultId, new Date(now.getTime() + 5000)), 'NO_SESSION')
    expect(error.message).to.not.include('expired')
  })

  it('refuses a token of another vault, a token with a changed key, garbage (exit 7) and a damaged file (exit 5)', () => {
    const {token} = createSession(env, vaultId, dek, HOUR, now)
    expectNoSession(() => openSession(env, token, toB64(Buffer.alloc(16, 8)), now))
    const [prefix, id, key] = token.split('.')
    const otherKey = `${key[0] === 'A' ? 'B' : 'A'}${key.slice(1)}`
    expectNoSession(() => openSession(env, `${prefix}.${id}.${otherKey}`, vaultId, now))
    for (const garbage of ['', 'x', 'cvs1..', `cvs2.${id}.${key}`, `cvs1.${id}.${key}x`, `cvs1.${id}=.${key}`, `${token} extra`]) {
      expectNoSession(() => openSession(env, garbage, vaultId, now))
    }
    const good = readFileSync(fileOf(token), 'utf8')
    // a byte edited in the middle, as a corrupt disk or an editor would leave it
    const middle = Math.floor(good.length / 2)
    writeFileSync(fileOf(token), `${good.slice(0, middle)}\u0000${good.slice(middle + 1)}`)
    expectDamaged(() => openSession(env, token, vaultId, now))
    writeFileSync(fileOf(token), '{"v":1')
    expectDamaged(() => openSession(env, token, vaultId, now))
    writeFileSync(fileOf(token), Buffer.alloc(5000, 0x20))
    expectDamaged(() => openSession(env, token, vaultId, now))
    writeFileSync(fileOf(token), JSON.stringify({...JSON.parse(good), ct: '!!'}))
    expectDamaged(() => openSession(env, token, vaultId, now))
    unlinkSync(fileOf(token))
    symlinkSync(join(t.dir, 'elsewhere'), fileOf(token))
    expectDamaged(() => openSession(env, token, vaultId, now))
    unlinkSync(fileOf(token))
    expectNoSession(() => openSession(env, token, vaultId, now)) // missing stays exit 7
  })

  it('never puts the token in error messages', () => {
    const {token} = createSession(env, vaultId, dek, HOUR, now)
    unlinkSync(fileOf(token))
    const error = expectThrows(() => openSession(env, token, vaultId, now), 'NO_SESSION')
    expect(`${error.message} ${error.suggestions.join(' ')}`).to.not.include(token.split('.')[2])
  })

  it('finds the session id in a token and removes one or all session files', () => {
    const a = createSession(env, vaultId, dek, HOUR, now)
    const b = createSession(env, vaultId, dek, HOUR, now)
    expect(sessionIdOfToken(a.token)).to.equal(a.record.id)
    expect(sessionIdOfToken(undefined)).to.equal(undefined)
    expect(sessionIdOfToken('nonsense')).to.equal(undefined)
    removeSessionFile(env, vaultId, a.record.id)
    removeSessionFile(env, vaultId, a.record.id) // already gone: no error
    expectNoSession(() => openSession(env, a.token, vaultId, now))
    expect(openSession(env, b.token, vaultId, now).sessionId).to.equal(b.record.id)
    expect(removeAllSessionFiles(env, vaultId)).to.equal(1)
    expectNoSession(() => openSession(env, b.token, vaultId, now))
    expect(removeAllSessionFiles(env, vaultId)).to.equal(0)
  })
})
