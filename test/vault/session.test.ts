/** Session tokens and files (research/security.md §4.3) at unit level: every bad token is NO_SESSION (exit 7). */
import {readFileSync, readdirSync, statSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {createSession, openSession, removeAllSessionFiles, removeSessionFile, sessionDir, sessionIdOfToken} from '../../src/auth/session.js'
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
    expectNoSession(() => openSession(env, full.token, vaultId, now))
  })

  it('falls back to ~/.cache/codex-vault without XDG_RUNTIME_DIR', () => {
    const home = {HOME: t.dir}
    const {token} = createSession(home, vaultId, dek, HOUR, now)
    expect(sessionDir(home, vaultId)).to.equal(join(t.dir, '.cache', 'codex-vault', vaultId))
    expect(openSession(home, token, vaultId, now).dek.equals(dek)).to.equal(true)
  })

  it('refuses an expired session (at and after expiresAt)', () => {
    const {token} = createSession(env, vaultId, dek, 1000, now)
    expect(openSession(env, token, vaultId, new Date(now.getTime() + 999)).sessionId).to.be.a('string')
    expectNoSession(() => openSession(env, token, vaultId, new Date(now.getTime() + 1000)))
    expectNoSession(() => openSession(env, token, vaultId, new Date(now.getTime() + HOUR)))
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

  it('refuses a token of another vault, a token with a changed key, garbage and a damaged file', () => {
    const {token} = createSession(env, vaultId, dek, HOUR, now)
    expectNoSession(() => openSession(env, token, toB64(Buffer.alloc(16, 8)), now))
    const [prefix, id, key] = token.split('.')
    const otherKey = `${key[0] === 'A' ? 'B' : 'A'}${key.slice(1)}`
    expectNoSession(() => openSession(env, `${prefix}.${id}.${otherKey}`, vaultId, now))
    for (const garbage of ['', 'x', 'cvs1..', `cvs2.${id}.${key}`, `cvs1.${id}.${key}x`, `cvs1.${id}=.${key}`, `${token} extra`]) {
      expectNoSession(() => openSession(env, garbage, vaultId, now))
    }
    writeFileSync(fileOf(token), '{"v":1')
    expectNoSession(() => openSession(env, token, vaultId, now))
    writeFileSync(fileOf(token), Buffer.alloc(5000, 0x20))
    expectNoSession(() => openSession(env, token, vaultId, now))
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
