import {expect} from 'chai'

import type {AuditEvent} from '../../src/audit/events.js'
import {randomKey, toB64, randomBytes} from '../../src/secrets/crypto.js'
import {encryptSecret} from '../../src/secrets/secret-crypto.js'
import {vaultKeysFrom} from '../../src/secrets/vault-keys.js'
import type {SecretRecord, VaultBody} from '../../src/secrets/vault-schema.js'
import {type FollowedKey, KeyFollower} from '../../src/runtime/mediation-keys.js'
import type {MediatedKey} from '../../src/runtime/mediator.js'
import {body, secret} from '../permissions/helpers.js'
import {canary} from './helpers.js'

describe('runtime/mediation-keys', () => {
  const vaultId = toB64(randomBytes(16))
  const keys = vaultKeysFrom(randomKey())
  after(() => keys.wipe())

  /** A stored openai key with this value, encrypted as the vault stores it. */
  const stored = (value: string, version = 1): SecretRecord => {
    const binding = {id: toB64(randomBytes(12)), provider: 'openai', env: 'OPENAI_API_KEY', version}
    return secret('openai', 'OPENAI_API_KEY', {...binding, ...encryptSecret(vaultId, keys, binding, Buffer.from(value))})
  }

  const setUp = (first: SecretRecord, firstValue: string, record: (event: Omit<AuditEvent, 'asset'>) => Promise<void> = async () => {}) => {
    const key: MediatedKey = {env: 'OPENAI_API_KEY', value: firstValue, placeholder: 'cvm_x'}
    const followed: FollowedKey[] = [{key, provider: 'openai', storedEnv: 'OPENAI_API_KEY', fingerprint: first.fp}]
    const events: Omit<AuditEvent, 'asset'>[] = []
    const told: string[] = []
    const follower = new KeyFollower(followed, {vaultId, keys: () => keys, tell: (message) => told.push(message), record: async (event) => {
      await record(event)
      events.push(event)
    }})
    return {key, follower, events, told}
  }
  const bodyWith = (generation: number, ...secrets: SecretRecord[]): VaultBody => body({generation, secrets})

  it('leaves an unchanged key alone and records nothing', async () => {
    const value = canary()
    const first = stored(value)
    const {key, follower, events} = setUp(first, value)
    expect(await follower.follow(bodyWith(2, first), 'openai')).to.equal(null)
    expect(key.value).to.equal(value)
    expect(key.previous).to.equal(undefined)
    expect(events).to.have.length(0)
  })

  it('takes in a rotated key after recording the change (fingerprints only), keeping the old value for scrubbing', async () => {
    const [oldValue, newValue] = [canary(), canary()]
    const first = stored(oldValue)
    const rotated = stored(newValue, 2)
    const {key, follower, events, told} = setUp(first, oldValue)
    expect(await follower.follow(bodyWith(3, rotated), 'openai')).to.equal(null)
    expect(key.value).to.equal(newValue)
    expect(key.previous).to.deep.equal([oldValue])
    expect(events).to.deep.equal([{type: 'run.mediation.rotate', outcome: 'allow', provider: 'openai', data: {
      env: 'OPENAI_API_KEY', version: 2, fingerprint: rotated.fp, previousFingerprint: first.fp,
    }}])
    expect(JSON.stringify(events) + told.join('\n')).not.to.include(oldValue).and.not.include(newValue)
    expect(told.join('\n')).to.include('the openai key (OPENAI_API_KEY) changed in the vault (version 2)')
    // seen once: a later request on the same body changes nothing
    expect(await follower.follow(bodyWith(3, rotated), 'openai')).to.equal(null)
    expect(events).to.have.length(1)
  })

  it('records and swaps a rotation once when two requests see it at the same time, and never goes back to an older body', async () => {
    const [oldValue, newValue] = [canary(), canary()]
    const first = stored(oldValue)
    const rotated = stored(newValue, 2)
    const {key, follower, events} = setUp(first, oldValue)
    const answers = await Promise.all([follower.follow(bodyWith(3, rotated), 'openai'), follower.follow(bodyWith(3, rotated), 'openai')])
    expect(answers).to.deep.equal([null, null])
    expect(events).to.have.length(1)
    // a request that read the vault before the rotation and is answered after it
    expect(await follower.follow(bodyWith(2, first), 'openai')).to.equal(null)
    expect(key.value).to.equal(newValue)
  })

  it('refuses once the key was removed from the vault, naming the command that stores one', async () => {
    const value = canary()
    const first = stored(value)
    const {follower} = setUp(first, value)
    expect(await follower.follow(bodyWith(2), 'openai')).to.equal('the openai key (OPENAI_API_KEY) was removed from the vault; to store one again: codex-vault secret set openai')
  })

  it('refuses a rotated key, and keeps the old one, when the change cannot be recorded', async () => {
    const [oldValue, newValue] = [canary(), canary()]
    const first = stored(oldValue)
    const {key, follower} = setUp(first, oldValue, async () => {
      throw new Error('disk full')
    })
    const answer = await follower.follow(bodyWith(2, stored(newValue, 2)), 'openai')
    expect(answer).to.include('could not record the change in the audit log (disk full), so it refuses')
    expect(key.value).to.equal(oldValue)
  })

  it('only follows the keys of the provider asked about', async () => {
    const value = canary()
    const first = stored(value)
    const {key, follower, events} = setUp(first, value)
    expect(await follower.follow(bodyWith(2, stored(canary(), 2)), 'anthropic')).to.equal(null)
    expect(key.value).to.equal(value)
    expect(events).to.have.length(0)
  })
})
