/** atomic-write, vault-file and vault-lock: the filesystem primitives under every vault write. */
import {execFileSync, spawn} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {expect} from 'chai'

import {removeOrphanTemps, writeFileAtomic} from '../../src/secrets/atomic-write.js'
import {readVaultBytes} from '../../src/secrets/vault-file.js'
import {acquireVaultLock} from '../../src/secrets/vault-lock.js'
import {ensurePrivateDir} from '../../src/auth/private-dir.js'
import {expectRejects, expectThrows, tempDir} from './helpers.js'

const mode = (path: string) => statSync(path).mode & 0o777

describe('atomic write', () => {
  let t: ReturnType<typeof tempDir>
  beforeEach(() => { t = tempDir() })
  afterEach(() => t.cleanup())

  it('writes 0600 whatever the umask, replaces the target and leaves no temp file', () => {
    const target = join(t.dir, 'v.cv')
    const old = process.umask(0)
    try {
      writeFileAtomic(target, 'one')
      writeFileAtomic(target, Buffer.from('two'))
    } finally {
      process.umask(old)
    }
    expect(readFileSync(target, 'utf8')).to.equal('two')
    expect(mode(target)).to.equal(0o600)
    expect(readdirSync(t.dir)).to.deep.equal(['v.cv'])
  })

  it('tightens an existing looser file and honours another mode', () => {
    const target = join(t.dir, 'x')
    writeFileSync(target, 'old', {mode: 0o666})
    chmodSync(target, 0o666)
    writeFileAtomic(target, 'new')
    expect(mode(target)).to.equal(0o600)
    writeFileAtomic(target, 'newer', 0o640)
    expect(mode(target)).to.equal(0o640)
  })

  it('fails without touching the target when the folder is missing', () => {
    expect(() => writeFileAtomic(join(t.dir, 'nope', 'v.cv'), 'x')).to.throw()
    expect(existsSync(join(t.dir, 'nope'))).to.equal(false)
  })

  it('fails when the target is a folder, removes its temp file and leaves the folder alone', () => {
    const target = join(t.dir, 'v.cv')
    mkdirSync(target)
    expect(() => writeFileAtomic(target, 'x')).to.throw()
    expect(statSync(target).isDirectory()).to.equal(true)
    expect(readdirSync(t.dir)).to.deep.equal(['v.cv'])
  })

  it('removes orphan temps of this target only', () => {
    const target = join(t.dir, 'v.cv')
    writeFileAtomic(target, 'x')
    for (const name of ['.v.cv.123.abcdef.tmp', '.v.cv.9.00.tmp', '.other.cv.1.2.tmp', 'v.cv.1.tmp', '.v.cv.keep']) writeFileSync(join(t.dir, name), 'junk')
    expect(removeOrphanTemps(target)).to.equal(2)
    expect(readdirSync(t.dir).sort()).to.deep.equal(['.other.cv.1.2.tmp', '.v.cv.keep', 'v.cv', 'v.cv.1.tmp'])
    expect(removeOrphanTemps(join(t.dir, 'missing', 'v.cv'))).to.equal(0)
  })
})

describe('private folders', () => {
  it('creates every missing level 0700 whatever the umask and refuses a file in the way', () => {
    const t = tempDir()
    const old = process.umask(0)
    try {
      ensurePrivateDir(join(t.dir, 'a', 'b'))
      expect(mode(join(t.dir, 'a'))).to.equal(0o700)
      expect(mode(join(t.dir, 'a', 'b'))).to.equal(0o700)
      mkdirSync(join(t.dir, 'open'), {mode: 0o777})
      ensurePrivateDir(join(t.dir, 'open'))
      expect(mode(join(t.dir, 'open'))).to.equal(0o700)
      writeFileSync(join(t.dir, 'file'), '')
      expect(() => ensurePrivateDir(join(t.dir, 'file'))).to.throw()
    } finally {
      process.umask(old)
      t.cleanup()
    }
  })
})

describe('reading the vault file', () => {
  let t: ReturnType<typeof tempDir>
  beforeEach(() => { t = tempDir() })
  afterEach(() => t.cleanup())

  it('reports a missing vault with exit 3 and points at init', () => {
    const error = expectThrows(() => readVaultBytes(join(t.dir, 'v.cv')), 'VAULT_MISSING')
    expect(error.exitCode).to.equal(3)
    expect(error.suggestions.join(' ')).to.include('codex-vault init')
    expect(existsSync(join(t.dir, 'v.cv'))).to.equal(false)
  })

  it('refuses a symlink and a folder', () => {
    writeFileSync(join(t.dir, 'real'), 'CODEXVLT')
    symlinkSync(join(t.dir, 'real'), join(t.dir, 'link'))
    expect(expectThrows(() => readVaultBytes(join(t.dir, 'link')), 'VAULT_UNREADABLE').exitCode).to.equal(3)
    mkdirSync(join(t.dir, 'dir'))
    expectThrows(() => readVaultBytes(join(t.dir, 'dir')), 'VAULT_UNREADABLE')
    expect(readVaultBytes(join(t.dir, 'real')).toString()).to.equal('CODEXVLT')
  })

  it('refuses a file over 16 MiB before reading it', () => {
    const path = join(t.dir, 'big')
    execFileSync('truncate', ['-s', String(16 * 1024 * 1024 + 1), path])
    expectThrows(() => readVaultBytes(path), 'HEADER_INVALID')
  })
})

describe('vault lock', () => {
  let t: ReturnType<typeof tempDir>
  beforeEach(() => { t = tempDir() })
  afterEach(() => t.cleanup())

  it('creates the lock file 0600, is exclusive between processes and released on close', async () => {
    const vault = join(t.dir, 'v.cv')
    const old = process.umask(0)
    const lock = await acquireVaultLock(vault, 1000).finally(() => process.umask(old))
    expect(mode(`${vault}.lock`)).to.equal(0o600)
    // another process cannot take it while we hold it
    const script = `import {acquireVaultLock} from ${JSON.stringify(pathToFileURL(join(process.cwd(), 'dist/src/secrets/vault-lock.js')).href)}
      try { const l = await acquireVaultLock(process.argv[1], 200); l.release(); console.log('got') } catch (e) { console.log(e.code) }`
    const run = () => new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, vault], {stdio: ['ignore', 'pipe', 'inherit']})
      let out = ''
      child.stdout.on('data', (chunk) => { out += chunk })
      child.on('close', () => resolve(out.trim()))
    })
    expect(await run()).to.equal('VAULT_BUSY')
    lock.release()
    lock.release() // idempotent
    expect(await run()).to.equal('got')
  })

  it('times out with VAULT_BUSY (exit 9) after about the given time', async () => {
    const vault = join(t.dir, 'v.cv')
    // flock locks belong to the open file description: a second open in this process conflicts too
    const first = await acquireVaultLock(vault, 1000)
    const started = Date.now()
    const error = await expectRejects(acquireVaultLock(vault, 300), 'VAULT_BUSY')
    const waited = Date.now() - started
    first.release()
    expect(error.exitCode).to.equal(9)
    expect(waited).to.be.within(280, 1000)
    const again = await acquireVaultLock(vault, 100)
    again.release()
  })

  it('refuses a lock path that is a symlink', async () => {
    const vault = join(t.dir, 'v.cv')
    writeFileSync(join(t.dir, 'victim'), 'keep')
    symlinkSync(join(t.dir, 'victim'), `${vault}.lock`)
    await expectRejects(acquireVaultLock(vault, 100), 'VAULT_UNREADABLE')
    expect(readFileSync(join(t.dir, 'victim'), 'utf8')).to.equal('keep')
  })
})
