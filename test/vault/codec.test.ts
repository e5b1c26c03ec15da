/**
 * The vault file format at unit level (research/security.md §4.2 and §5 tests 1-10): every damaged,
 * truncated, extended or spliced file is refused with a typed VaultError (exit 3, 4 or 5), never
 * an uncaught exception; KDF bounds are checked before any Argon2 run.
 */
import {expect} from 'chai'

import {ExitCode, VaultError} from '../../src/cli/errors.js'
import {canonicalJson} from '../../src/secrets/canonical-json.js'
import {aeadEncrypt, blake2b, randomBytes, toB64} from '../../src/secrets/crypto.js'
import {openBody, parseForWrite, sealVault, unwrapWithPassphrase} from '../../src/secrets/vault-codec.js'
import {MAX_VAULT_BYTES, PREFIX_BYTES, encodeHeader, parseVaultFile} from '../../src/secrets/vault-header.js'
import {vaultKeysFrom} from '../../src/secrets/vault-keys.js'
import {
  type TestVault, buildTestVault, changeB64Char, expectRejects, expectThrows, layout, openLikeBoot, randomPassphrase, rewriteHeader, sealAt,
} from './helpers.js'

/** Seal arbitrary header bytes (prefix included) and an arbitrary body, exactly like sealVault does. */
function sealRaw(headerBytes: Buffer, body: unknown, vault: TestVault): Buffer {
  const mac = blake2b(headerBytes, vault.keys.header)
  const nonce = randomBytes(24)
  const ad = Buffer.concat([headerBytes, mac])
  const plaintext = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8')
  return Buffer.concat([ad, nonce, aeadEncrypt(vault.keys.body, nonce, plaintext, ad)])
}

function flip(bytes: Buffer, offset: number, mask: number): Buffer {
  const copy = Buffer.from(bytes)
  copy[offset] ^= mask
  return copy
}

describe('vault codec', () => {
  let vault: TestVault
  let other: TestVault

  before(async () => {
    vault = await buildTestVault()
    other = await buildTestVault()
  })

  after(() => {
    vault.keys.wipe()
    other.keys.wipe()
  })

  it('round-trips: a new vault opens with its passphrase at generation 0', async () => {
    const body = await openLikeBoot(vault.bytes, vault.passphrase, vault)
    expect(body.generation).to.equal(0)
    expect(body.sessions).to.deep.equal([])
    const parsed = parseVaultFile(vault.bytes)
    const dek = await unwrapWithPassphrase(parsed, vault.passphrase)
    expect(dek.equals(vault.keys.dek)).to.equal(true)
  })

  it('keeps everything but the header unreadable: no passphrase, no body field names', () => {
    const text = vault.bytes.toString('latin1')
    expect(text.startsWith('CODEXVLT')).to.equal(true)
    for (const word of ['sessions', 'secrets', 'auditKey', 'lastSeen', 'grants', vault.passphrase.toString()]) {
      expect(text.includes(word), word).to.equal(false)
    }
  })

  it('uses a fresh body nonce on every seal', () => {
    const a = parseVaultFile(sealAt(vault, 1))
    const b = parseVaultFile(sealAt(vault, 1))
    expect(a.bodyNonce.equals(b.bodyNonce)).to.equal(false)
    expect(a.bodyCiphertext.equals(b.bodyCiphertext)).to.equal(false)
  })

  describe('authentication (exit 4)', () => {
    it('refuses a wrong passphrase with one message', async () => {
      const error = await expectRejects(unwrapWithPassphrase(parseVaultFile(vault.bytes), randomPassphrase()), 'AUTH_FAILED')
      expect(error.exitCode).to.equal(ExitCode.Auth)
      expect(error.message).to.equal('wrong passphrase or damaged key slot')
    })

    it('gives a damaged key slot exactly the same error as a wrong passphrase', async () => {
      const wrong = await expectRejects(unwrapWithPassphrase(parseVaultFile(vault.bytes), randomPassphrase()), 'AUTH_FAILED')
      const mutations: Array<(h: Record<string, any>) => void> = [
        (h) => { h.slots[0].wrapped = changeB64Char(h.slots[0].wrapped, 10) },
        (h) => { h.slots[0].nonce = changeB64Char(h.slots[0].nonce, 3) },
        (h) => { h.slots[0].kdf.salt = changeB64Char(h.slots[0].kdf.salt, 0) },
        (h) => { h.slots[0].id = changeB64Char(h.slots[0].id, 2) },
        // the KDF parameters and the vault id are bound into the slot's associated data
        (h) => { h.slots[0].kdf.ops = 3 },
        (h) => { h.vaultId = changeB64Char(h.vaultId, 5) },
      ]
      for (const mutate of mutations) {
        const damaged = rewriteHeader(vault.bytes, mutate)
        const error = await expectRejects(unwrapWithPassphrase(parseVaultFile(damaged), vault.passphrase), 'AUTH_FAILED')
        expect(error.message).to.equal(wrong.message)
        expect(error.suggestions).to.deep.equal(wrong.suggestions)
        expect(error.exitCode).to.equal(ExitCode.Auth)
      }
    })
  })

  describe('integrity (exit 5)', () => {
    it('refuses the keys of another vault', () => {
      const error = expectThrows(() => openBody(parseVaultFile(vault.bytes), other.keys), 'INTEGRITY')
      expect(error.exitCode).to.equal(ExitCode.Integrity)
    })

    it('refuses a header spliced from another generation, both ways', async () => {
      const g0 = vault.bytes
      const g1 = sealAt(vault, 1)
      expect((await openLikeBoot(g1, vault.passphrase, vault)).generation).to.equal(1)
      const l0 = layout(g0)
      const l1 = layout(g1)
      expect(l0.macEnd).to.equal(l1.macEnd) // "generation":0 vs 1: same length, so the splice lines up
      const headerOf0BodyOf1 = Buffer.concat([g0.subarray(0, l0.macEnd), g1.subarray(l1.macEnd)])
      const headerOf1BodyOf0 = Buffer.concat([g1.subarray(0, l1.macEnd), g0.subarray(l0.macEnd)])
      for (const spliced of [headerOf0BodyOf1, headerOf1BodyOf0]) {
        const error = await expectRejects(openLikeBoot(spliced, vault.passphrase, vault))
        expect(error.exitCode).to.equal(ExitCode.Integrity)
      }
    })

    it('refuses a validly sealed file whose header and body generations differ', () => {
      const bytes = sealRaw(encodeHeader({...vault.header, generation: 5}), {...vault.body, generation: 4}, vault)
      const error = expectThrows(() => openBody(parseVaultFile(bytes), vault.keys), 'INTEGRITY')
      expect(error.message).to.include('generations differ')
    })

    it('refuses a validly sealed body that is not JSON or breaks the strict schema', () => {
      const header = encodeHeader(vault.header)
      expectThrows(() => openBody(parseVaultFile(sealRaw(header, '{"v":1,', vault)), vault.keys), 'INTEGRITY')
      const extra = sealRaw(header, {...vault.body, unknownField: true}, vault)
      expect(expectThrows(() => openBody(parseVaultFile(extra), vault.keys), 'INTEGRITY').message).to.include('body schema')
      const {v: _v, ...noVersion} = vault.body
      expectThrows(() => openBody(parseVaultFile(sealRaw(header, noVersion, vault)), vault.keys), 'INTEGRITY')
    })

    it('refuses appended bytes (1, 16, 4096)', async () => {
      for (const extra of [1, 16, 4096]) {
        const error = await expectRejects(openLikeBoot(Buffer.concat([vault.bytes, randomBytes(extra)]), vault.passphrase, vault))
        expect(error.code, `+${extra}`).to.equal('INTEGRITY')
      }
    })
  })

  describe('header (exit 3)', () => {
    const cases: Array<[string, (h: Record<string, any>) => void]> = [
      ['mem 64 GiB', (h) => { h.slots[0].kdf.mem = 64 * 1024 ** 3 }],
      ['ops 2^32-1', (h) => { h.slots[0].kdf.ops = 2 ** 32 - 1 }],
      ['mem 8 KiB', (h) => { h.slots[0].kdf.mem = 8 * 1024 }],
      ['salt of 15 bytes', (h) => { h.slots[0].kdf.salt = toB64(randomBytes(15)) }],
      ['ops 1', (h) => { h.slots[0].kdf.ops = 1 }],
      ['ops 11', (h) => { h.slots[0].kdf.ops = 11 }],
      ['mem 1 GiB + 1', (h) => { h.slots[0].kdf.mem = 1024 ** 3 + 1 }],
      ['fractional ops', (h) => { h.slots[0].kdf.ops = 2.5 }],
      ['another algorithm', (h) => { h.slots[0].kdf.alg = 'argon2i13' }],
      ['no slots', (h) => { h.slots = [] }],
      ['9 slots', (h) => { h.slots = Array.from({length: 9}, () => h.slots[0]) }],
      ['an unknown field', (h) => { h.extra = 1 }],
      ['a negative generation', (h) => { h.generation = -1 }],
      ['header version 2', (h) => { h.v = 2 }],
    ]
    for (const [name, mutate] of cases) {
      it(`refuses ${name} before any key derivation`, async () => {
        const bytes = rewriteHeader(vault.bytes, mutate)
        const started = process.hrtime.bigint()
        // parseVaultFile is what runs before any Argon2: it must throw, synchronously and fast
        const error = expectThrows(() => parseVaultFile(bytes), 'HEADER_INVALID')
        expect(Number(process.hrtime.bigint() - started) / 1e6).to.be.below(100)
        expect(error.exitCode).to.equal(ExitCode.Vault)
        await expectRejects(openLikeBoot(bytes, vault.passphrase, vault), 'HEADER_INVALID')
      })
    }

    it('refuses non-canonical header JSON (spacing, key order, duplicate keys)', () => {
      const {headerEnd} = layout(vault.bytes)
      const json = vault.bytes.subarray(PREFIX_BYTES, headerEnd).toString('utf8')
      const variants = [
        json.replace('{"body"', '{ "body"'),
        `${json} `,
        JSON.stringify(JSON.parse(json), null, 1),
        json.replace('{"body":{"alg":"xchacha20poly1305-ietf"},', '{"body":{"alg":"xchacha20poly1305-ietf"},"body":{"alg":"xchacha20poly1305-ietf"},'),
        JSON.stringify({v: 1, ...JSON.parse(json)}), // same value, keys out of order
      ]
      for (const variant of variants) {
        expect(variant).to.not.equal(json)
        const text = Buffer.from(variant, 'utf8')
        const prefix = Buffer.from(vault.bytes.subarray(0, PREFIX_BYTES))
        prefix.writeUInt32LE(text.length, 12)
        const error = expectThrows(() => parseVaultFile(Buffer.concat([prefix, text, vault.bytes.subarray(headerEnd)])), 'HEADER_INVALID')
        expect(error.message).to.include('canonical')
      }
    })

    it('refuses bad magic, header lengths out of bounds and files over 16 MiB', () => {
      expectThrows(() => parseVaultFile(Buffer.concat([Buffer.from('CODEXVLX'), vault.bytes.subarray(8)])), 'HEADER_INVALID')
      for (const length of [0, 65_537, 0xffff_ffff]) {
        const bytes = Buffer.from(vault.bytes)
        bytes.writeUInt32LE(length, 12)
        expectThrows(() => parseVaultFile(bytes), 'HEADER_INVALID')
      }
      expectThrows(() => parseVaultFile(Buffer.concat([vault.bytes, Buffer.alloc(MAX_VAULT_BYTES)])), 'HEADER_INVALID')
    })

    it('refuses an unknown major version, and reads but never rewrites an unknown minor version', () => {
      const major = Buffer.from(vault.bytes)
      major.writeUInt16LE(2, 8)
      expect(expectThrows(() => parseVaultFile(major), 'VAULT_UNSUPPORTED').exitCode).to.equal(ExitCode.Vault)

      const header = encodeHeader(vault.header)
      header.writeUInt16LE(1, 10) // format 1.1, validly sealed by a (hypothetical) newer version
      const newer = sealRaw(header, vault.body, vault)
      const parsed = parseVaultFile(newer)
      expect(parsed.minor).to.equal(1)
      expect(openBody(parsed, vault.keys).generation).to.equal(0)
      expect(expectThrows(() => parseForWrite(newer), 'VAULT_UNSUPPORTED').exitCode).to.equal(ExitCode.Vault)
      expect(parseForWrite(vault.bytes).minor).to.equal(0)
    })
  })

  describe('damage sweeps', () => {
    /** Every failure must be a VaultError with an allowed exit code; collect the offenders. */
    async function classify(bytes: Buffer, allowed: number[]): Promise<string | undefined> {
      try {
        await openLikeBoot(bytes, vault.passphrase, vault)
        return 'opened'
      } catch (error) {
        if (!(error instanceof VaultError)) return `untyped ${(error as Error).name}: ${(error as Error).message}`
        if (!allowed.includes(error.exitCode)) return `exit ${error.exitCode} (${error.code}: ${error.message})`
      }
      return undefined
    }

    it('refuses any single flipped bit: all 16 prefix bytes and ~150 offsets spread over the file', async function () {
      this.timeout(60_000)
      const bytes = sealAt(vault, 3)
      const {headerEnd} = layout(bytes)
      const offsets = new Set<number>()
      for (let offset = 0; offset < PREFIX_BYTES; offset++) offsets.add(offset)
      const step = Math.max(1, Math.floor(bytes.length / 150))
      for (let offset = 0; offset < bytes.length; offset += step) offsets.add(offset)
      for (const offset of [headerEnd - 1, headerEnd, headerEnd + 31, headerEnd + 32, headerEnd + 55, headerEnd + 56, bytes.length - 1]) offsets.add(offset)
      const failures: string[] = []
      for (const offset of offsets) {
        for (const mask of [1 << (offset % 8), 0x80]) {
          // inside the header JSON a changed slot (or the vault id bound into it) is an auth failure
          const allowed = offset >= PREFIX_BYTES && offset < headerEnd ? [3, 4, 5] : [3, 5]
          const outcome = await classify(flip(bytes, offset, mask), allowed)
          if (outcome) failures.push(`offset ${offset} mask ${mask}: ${outcome}`)
        }
      }
      expect(failures).to.deep.equal([])
      expect(offsets.size).to.be.at.least(150)
    })

    it('refuses every truncation (0 .. n-1 bytes)', async () => {
      const bytes = sealAt(vault, 2)
      const failures: string[] = []
      for (let length = 0; length < bytes.length; length++) {
        const outcome = await classify(bytes.subarray(0, length), [3, 5])
        if (outcome) failures.push(`length ${length}: ${outcome}`)
      }
      expect(failures).to.deep.equal([])
    })
  })

  it('seals what it is given and nothing else: sealVault copies the body generation into the header', () => {
    const bytes = sealVault(vault.header, {...vault.body, generation: 7}, vault.keys)
    const parsed = parseVaultFile(bytes)
    expect(parsed.header.generation).to.equal(7)
    expect(canonicalJson(parsed.header)).to.equal(canonicalJson({...vault.header, generation: 7}))
    const keys = vaultKeysFrom(Buffer.from(vault.keys.dek))
    expect(openBody(parsed, keys).generation).to.equal(7)
  })
})
