/**
 * `ci export` key slots: the data key wrapped under a random 256-bit key (no KDF). A wrong key, a
 * damaged slot, a slot moved to another vault id and a passphrase against a key-only vault all
 * fail as authentication (exit 4); the header stays strict.
 */
import {expect} from 'chai'

import {ExitCode, VaultError} from '../../src/cli/errors.js'
import {randomKey} from '../../src/secrets/crypto.js'
import {buildKeyVault, openBody, unwrapWithKey, unwrapWithPassphrase} from '../../src/secrets/vault-codec.js'
import {parseVaultFile} from '../../src/secrets/vault-header.js'
import {vaultKeysFrom} from '../../src/secrets/vault-keys.js'
import {buildTestVault, changeB64Char, rewriteHeader} from './helpers.js'

function authFailure(fn: () => unknown): VaultError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(VaultError)
    expect((error as VaultError).exitCode).to.equal(ExitCode.Auth)
    return error as VaultError
  }
  throw new Error('expected AUTH_FAILED')
}

describe('vault key slots (ci export)', () => {
  it('opens with its key and nothing else, and runs no KDF', async () => {
    const key = randomKey()
    const started = process.hrtime.bigint()
    const vault = await buildKeyVault(key, new Date())
    const parsed = parseVaultFile(vault.bytes)
    expect(parsed.header.slots.map((slot) => slot.type)).to.deep.equal(['key'])
    expect(parsed.header.slots[0]).to.not.have.property('kdf')
    const body = openBody(parsed, vaultKeysFrom(unwrapWithKey(parsed, key)))
    expect(body.generation).to.equal(0)
    // Argon2id at its lowest bound (64 MiB) takes hundreds of ms; a key slot takes well under that
    expect(Number(process.hrtime.bigint() - started) / 1e6).to.be.below(200)

    const wrong = authFailure(() => unwrapWithKey(parsed, randomKey()))
    expect(wrong.message).to.equal('CODEX_VAULT_KEY does not open this vault')
    let passphrase: VaultError | undefined
    await unwrapWithPassphrase(parsed, Buffer.from('any passphrase at all')).catch((error: VaultError) => { passphrase = error })
    expect(passphrase?.code).to.equal('AUTH_FAILED')
    expect(passphrase?.message).to.match(/ci export vault: it opens with CODEX_VAULT_KEY/)
    vault.keys.wipe()
  })

  it('binds the slot to its vault id and id: a damaged or moved slot is an authentication failure', async () => {
    const key = randomKey()
    const vault = await buildKeyVault(key, new Date())
    const mutations: ((header: {vaultId: string; slots: {id: string; nonce: string; wrapped: string}[]}) => void)[] = [
      (h) => { h.slots[0].wrapped = changeB64Char(h.slots[0].wrapped, 10) },
      (h) => { h.slots[0].nonce = changeB64Char(h.slots[0].nonce, 3) },
      (h) => { h.slots[0].id = changeB64Char(h.slots[0].id, 2) },
      (h) => { h.vaultId = changeB64Char(h.vaultId, 5) },
    ]
    for (const mutate of mutations) authFailure(() => unwrapWithKey(parseVaultFile(rewriteHeader(vault.bytes, mutate as never)), key))
    // a key slot with a kdf field, or an unknown slot type, is not a valid header at all
    for (const mutate of [(h: {slots: Record<string, unknown>[]}) => { h.slots[0].kdf = {alg: 'argon2id13'} }, (h: {slots: Record<string, unknown>[]}) => { h.slots[0].type = 'token' }]) {
      expect(() => parseVaultFile(rewriteHeader(vault.bytes, mutate as never))).to.throw(VaultError).with.property('code', 'HEADER_INVALID')
    }
    vault.keys.wipe()
  })

  it('a CODEX_VAULT_KEY against an owner vault says which credential the vault wants', async () => {
    const owner = await buildTestVault()
    const error = authFailure(() => unwrapWithKey(parseVaultFile(owner.bytes), randomKey()))
    expect(error.message).to.match(/this vault opens with a passphrase, not a ci export key/)
    owner.keys.wipe()
  })
})
