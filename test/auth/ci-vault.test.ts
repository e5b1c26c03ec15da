import {randomBytes} from 'node:crypto'

import {expect} from 'chai'

import {checkCiVault, readCiKey} from '../../src/auth/ci-vault.js'
import {VaultError} from '../../src/cli/errors.js'
import {emptyBody} from '../../src/secrets/vault-schema.js'

function thrown(fn: () => unknown): VaultError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(VaultError)
    return error as VaultError
  }
  throw new Error('expected a VaultError')
}

describe('ci export vault checks', () => {
  const now = new Date('2026-11-22T10:00:00Z')
  const exported = () => ({...emptyBody(now, {nonce: 'n', ct: 'c'}), ciExport: {asset: 'shop', from: 'owner', created: '2026-11-22T09:00:00.000Z', expires: '2026-11-22T11:00:00.000Z'}})

  it('reads CODEX_VAULT_KEY only in its own shape, and never echoes a malformed value', () => {
    const raw = randomBytes(32)
    const key = `cvk1_${raw.toString('base64url')}`
    expect(readCiKey({CODEX_VAULT_KEY: key})).to.deep.equal(raw)
    expect(readCiKey({})).to.equal(null)
    expect(readCiKey({CODEX_VAULT_KEY: ''})).to.equal(null)
    for (const bad of ['a-passphrase', `${key}x`, key.slice(0, -1), `cvk2_${key.slice(5)}`, `${key}\n`]) {
      const error = thrown(() => readCiKey({CODEX_VAULT_KEY: bad}))
      expect(error.code).to.equal('INVALID_INPUT')
      expect(error.message).to.not.include(bad.trim())
    }
  })

  it('lets an owner vault through untouched', () => {
    expect(() => checkCiVault(emptyBody(now, {nonce: 'n', ct: 'c'}), 'grant:approve', now)).to.not.throw()
  })

  it('allows running and reading in an export, refuses policy changes, and denies everything once expired', () => {
    for (const command of ['run', 'status', 'audit:tail', 'grant:revoke', 'kill', 'secret:list']) expect(() => checkCiVault(exported(), command, now), command).to.not.throw()
    for (const command of ['grant:approve', 'secret:set', 'secret:import', 'asset:enable', 'bind', 'provider:add', 'passwd', 'rekey', 'ci:export', 'some:new-command']) {
      const error = thrown(() => checkCiVault(exported(), command, now))
      expect(error.code, command).to.equal('POLICY_DENY')
      expect(error.suggestions.join(' '), command).to.include('codex-vault ci export --asset shop')
    }
    const error = thrown(() => checkCiVault(exported(), 'run', new Date('2026-11-22T11:00:00Z')))
    expect(error.message).to.equal('this ci export of asset shop expired at 2026-11-22T11:00:00.000Z')
  })
})
