/** In-memory vault bodies for permission tests: no file, no key, no KDF. */
import {randomBytes} from 'node:crypto'

import type {AssetRecord, GrantRecord, SecretRecord, VaultBody} from '../../src/secrets/vault-schema.js'

export const T0 = new Date('2026-03-01T12:00:00.000Z')
export const HOUR = 3_600_000
export const DAY = 24 * HOUR
export const at = (ms: number) => new Date(T0.getTime() + ms)

const rid = (prefix: string) => `${prefix}_${randomBytes(6).toString('base64url')}`

export function body(parts: Partial<VaultBody> = {}): VaultBody {
  return {
    v: 1, generation: 1, lastSeen: T0.toISOString(), sessions: [], secrets: [], providers: [], killedProviders: [], assets: [], grants: [],
    auditAnchor: null, auditKey: {nonce: 'bm9uY2U', ct: 'Y3Q'}, ...parts,
  }
}

export function asset(name: string, capabilities: {capability: string; provider: string; confidence?: 'required' | 'likely' | 'mentioned'; env?: string[]}[] = [],
  extra: Partial<AssetRecord> = {}): AssetRecord {
  return {
    name, path: `/apps/${name}`, identity: {fingerprint: 'id:0000'}, owner: 'founder', enabled: true, created: T0.toISOString(), updated: T0.toISOString(),
    capabilities: capabilities.map((item) => ({capability: item.capability, provider: item.provider, confidence: item.confidence ?? 'required', env: item.env ?? [], evidence: []})),
    overrides: {include: [], exclude: []}, ...extra,
  }
}

export function grant(assetName: string, capability: string, extra: Partial<GrantRecord> = {}): GrantRecord {
  return {
    id: rid('g'), asset: assetName, capability, approved: T0.toISOString(), notBefore: T0.toISOString(), expires: at(8 * HOUR).toISOString(),
    usesLeft: null, revoked: null, ...extra,
  }
}

export function secret(provider: string, env: string, extra: Partial<SecretRecord> = {}): SecretRecord {
  return {
    id: rid('s'), provider, env, version: 1, nonce: 'bm9uY2U', ct: 'Y3Q', fp: `fp:${randomBytes(16).toString('hex')}`, length: 164, created: T0.toISOString(), ...extra,
  }
}

/** The shop asset of the e2e tests: bound to ai.openai.inference, an OpenAI key stored. */
export function shopBody(grants: GrantRecord[] = [], extra: Partial<VaultBody> = {}): VaultBody {
  return body({
    assets: [asset('shop', [{capability: 'ai.openai.inference', provider: 'openai', env: ['OPENAI_API_KEY']}])],
    secrets: [secret('openai', 'OPENAI_API_KEY')],
    grants,
    ...extra,
  })
}
