/**
 * A mediated run follows its keys in the vault. The child holds only placeholders, so when the
 * owner rotates a key (`secret rotate`) during the run, the next request goes out with the new
 * one: no restart, and nothing for the child to re-read. A key removed from the vault
 * (`secret rm`) stops the provider's requests instead. Each change is recorded
 * (`run.mediation.rotate`) before the first request that uses it; if that record cannot be
 * written, the request is refused. The previous value stays in the scrub list: a provider that
 * echoes it still has it masked.
 */
import type {AuditEvent} from '../audit/events.js'
import {wipe} from '../secrets/crypto.js'
import {decryptSecret} from '../secrets/secret-crypto.js'
import type {VaultKeys} from '../secrets/vault-keys.js'
import type {VaultBody} from '../secrets/vault-schema.js'
import type {MediatedKey} from './mediator.js'

export interface FollowedKey {
  key: MediatedKey
  provider: string
  /** the stored secret's env name: a rotation keeps the provider and env, not the record's id */
  storedEnv: string
  /** the stored secret's keyed fingerprint (never the value) that `key.value` belongs to */
  fingerprint: string
}

export interface KeyFollowerOptions {
  vaultId: string
  /** the run's vault keys, read when a changed key is decrypted */
  keys: () => VaultKeys
  /** writes one audit record; rejects when it could not be written */
  record: (event: Omit<AuditEvent, 'asset'>) => Promise<void>
  /** tells the person running the app (stderr) */
  tell: (message: string) => void
}

export class KeyFollower {
  /** changes are taken one at a time: two requests that both see a rotation record and swap it once */
  private queue: Promise<unknown> = Promise.resolve()
  /** bodies older than one already followed are ignored, so a slow request cannot swap a key back */
  private generation = -1

  constructor(private readonly followed: FollowedKey[], private readonly options: KeyFollowerOptions) {}

  /** null when the provider's keys are current (a changed one swapped in after its record), else why its requests must stop. */
  follow(body: VaultBody, provider: string): Promise<string | null> {
    const result = this.queue.then(() => this.catchUp(body, provider))
    this.queue = result.catch(() => {})
    return result
  }

  private async catchUp(body: VaultBody, provider: string): Promise<string | null> {
    if (body.generation < this.generation) return null
    this.generation = body.generation
    for (const item of this.followed) {
      if (item.provider !== provider) continue
      const record = body.secrets.find((secret) => secret.provider === item.provider && secret.env === item.storedEnv)
      if (!record) return `the ${item.provider} key (${item.storedEnv}) was removed from the vault; to store one again: codex-vault secret set ${item.provider}`
      if (record.fp === item.fingerprint) continue
      const bytes = decryptSecret(this.options.vaultId, this.options.keys(), record)
      const value = bytes.toString('utf8')
      wipe(bytes)
      try {
        await this.options.record({type: 'run.mediation.rotate', outcome: 'allow', provider, data: {
          env: record.env, version: record.version, fingerprint: record.fp, previousFingerprint: item.fingerprint,
        }})
      } catch (error) {
        return `the ${provider} key was changed in the vault and codex-vault could not record the change in the audit log (${(error as Error).message}), so it refuses`
      }
      item.key.previous = [...(item.key.previous ?? []), item.key.value]
      item.key.value = value
      item.fingerprint = record.fp
      this.options.tell(`the ${provider} key (${record.env}) changed in the vault (version ${record.version}); mediated requests use the new one from now on`)
    }
    return null
  }
}
