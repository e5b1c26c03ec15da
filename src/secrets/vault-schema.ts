/**
 * The decrypted vault body. Strict everywhere: an unknown field or version is refused, never
 * silently stripped (stripping would be data loss on the next save).
 */
// zod/mini (see providers/schema.ts for why)
import './zod-config.js' // first: jitless and English messages before any schema is built
import {array, boolean, enum as enum_, int, iso, literal, minimum, nullable, optional, regex, strictObject, string} from 'zod/mini'
import type {z} from 'zod/mini'

import {providerSchema} from './providers/schema.js'

const isoTime = iso.datetime()
const id = string().check(regex(/^[A-Za-z0-9_-]{6,64}$/))

export const sessionRecordSchema = strictObject({
  id,
  created: isoTime,
  expiresAt: isoTime,
  revoked: boolean(),
  /** 'run': a run-only session (unlock --run-only); absent: a full one */
  scope: optional(literal('run')),
})

export const secretRecordSchema = strictObject({
  id,
  provider: string(),
  env: string(),
  label: optional(string()),
  version: int().check(minimum(1)),
  /** per-secret AEAD: base64url nonce and ciphertext, AD binds vault, id, provider, env, version */
  nonce: string(),
  ct: string(),
  /** keyed fingerprint: comparable by the owner, useless for guessing */
  fp: string(),
  length: int().check(minimum(0)),
  created: isoTime,
  rotated: optional(isoTime),
  lastInjected: optional(isoTime),
})

export const assetRecordSchema = strictObject({
  name: string(),
  path: string(),
  identity: strictObject({packageName: optional(string()), gitRemote: optional(string()), fingerprint: string()}),
  owner: string(),
  enabled: boolean(),
  created: isoTime,
  updated: isoTime,
  /** what the last scan resolved */
  capabilities: array(strictObject({
    capability: string(),
    provider: string(),
    confidence: enum_(['required', 'likely', 'mentioned']),
    env: array(string()),
    evidence: array(strictObject({file: string(), line: int(), kind: string()})),
  })),
  /** the owner's manual overrides, kept apart so a rescan never loses them */
  overrides: strictObject({include: array(string()), exclude: array(string())}),
  disabledReason: optional(string()),
})

export const grantRecordSchema = strictObject({
  id,
  asset: string(),
  capability: string(),
  approved: isoTime,
  notBefore: isoTime,
  expires: isoTime,
  usesLeft: nullable(int().check(minimum(0))),
  reason: optional(string()),
  revoked: nullable(isoTime),
  revokedReason: optional(string()),
})

export const killedProviderSchema = strictObject({provider: string(), at: isoTime, reason: optional(string())})

export const auditAnchorSchema = strictObject({
  segment: int().check(minimum(0)),
  seq: int().check(minimum(0)),
  offset: int().check(minimum(0)),
  head: string().check(regex(/^[0-9a-f]{64}$/)),
})

export const vaultBodySchema = strictObject({
  v: literal(1),
  generation: int().check(minimum(0)),
  /** the latest wall-clock time the vault has seen; a clock before it (minus tolerance) is a denial */
  lastSeen: isoTime,
  sessions: array(sessionRecordSchema),
  secrets: array(secretRecordSchema),
  providers: array(providerSchema),
  killedProviders: array(killedProviderSchema),
  assets: array(assetRecordSchema),
  grants: array(grantRecordSchema),
  auditAnchor: nullable(auditAnchorSchema),
  /** the audit MAC/fingerprint key, encrypted under a DEK subkey (survives rekey) */
  auditKey: strictObject({nonce: string(), ct: string()}),
  /** set only in a vault made by `ci export`: its one asset, the vault it came from, its lifetime */
  ciExport: optional(strictObject({asset: string(), from: string(), created: isoTime, expires: isoTime})),
})

export type VaultBody = z.infer<typeof vaultBodySchema>
export type SessionRecord = z.infer<typeof sessionRecordSchema>
export type SecretRecord = z.infer<typeof secretRecordSchema>
export type AssetRecord = z.infer<typeof assetRecordSchema>
export type GrantRecord = z.infer<typeof grantRecordSchema>
export type AuditAnchorRecord = z.infer<typeof auditAnchorSchema>

export function emptyBody(now: Date, auditKey: VaultBody['auditKey']): VaultBody {
  return {
    v: 1, generation: 0, lastSeen: now.toISOString(), sessions: [], secrets: [], providers: [],
    killedProviders: [], assets: [], grants: [], auditAnchor: null, auditKey,
  }
}
