/**
 * The decrypted vault body. Strict everywhere: an unknown field or version is refused, never
 * silently stripped (stripping would be data loss on the next save).
 */
// Named imports (not `z`): a bundler can then drop the zod code this file does not use.
import {array, boolean, enum as enum_, iso, literal, number, strictObject, string} from 'zod'
import type {z} from 'zod'

import {providerSchema} from './providers/schema.js'

const isoTime = iso.datetime()
const id = string().regex(/^[A-Za-z0-9_-]{6,64}$/)

export const sessionRecordSchema = strictObject({
  id,
  created: isoTime,
  expiresAt: isoTime,
  revoked: boolean(),
})

export const secretRecordSchema = strictObject({
  id,
  provider: string(),
  env: string(),
  label: string().optional(),
  version: number().int().min(1),
  /** per-secret AEAD: base64url nonce and ciphertext, AD binds vault, id, provider, env, version */
  nonce: string(),
  ct: string(),
  /** keyed fingerprint: comparable by the owner, useless for guessing */
  fp: string(),
  length: number().int().min(0),
  created: isoTime,
  rotated: isoTime.optional(),
  lastInjected: isoTime.optional(),
})

export const assetRecordSchema = strictObject({
  name: string(),
  path: string(),
  identity: strictObject({packageName: string().optional(), gitRemote: string().optional(), fingerprint: string()}),
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
    evidence: array(strictObject({file: string(), line: number().int(), kind: string()})),
  })),
  /** the owner's manual overrides, kept apart so a rescan never loses them */
  overrides: strictObject({include: array(string()), exclude: array(string())}),
  disabledReason: string().optional(),
})

export const grantRecordSchema = strictObject({
  id,
  asset: string(),
  capability: string(),
  approved: isoTime,
  notBefore: isoTime,
  expires: isoTime,
  usesLeft: number().int().min(0).nullable(),
  reason: string().optional(),
  revoked: isoTime.nullable(),
  revokedReason: string().optional(),
})

export const killedProviderSchema = strictObject({provider: string(), at: isoTime, reason: string().optional()})

export const auditAnchorSchema = strictObject({
  segment: number().int().min(0),
  seq: number().int().min(0),
  offset: number().int().min(0),
  head: string().regex(/^[0-9a-f]{64}$/),
})

export const vaultBodySchema = strictObject({
  v: literal(1),
  generation: number().int().min(0),
  /** the latest wall-clock time the vault has seen; a clock before it (minus tolerance) is a denial */
  lastSeen: isoTime,
  sessions: array(sessionRecordSchema),
  secrets: array(secretRecordSchema),
  providers: array(providerSchema),
  killedProviders: array(killedProviderSchema),
  assets: array(assetRecordSchema),
  grants: array(grantRecordSchema),
  auditAnchor: auditAnchorSchema.nullable(),
  /** the audit MAC/fingerprint key, encrypted under a DEK subkey (survives rekey) */
  auditKey: strictObject({nonce: string(), ct: string()}),
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
