/**
 * The decrypted vault body. Strict everywhere: an unknown field or version is refused, never
 * silently stripped (stripping would be data loss on the next save).
 */
import {z} from 'zod'

import {providerSchema} from './providers/schema.js'

const iso = z.iso.datetime()
const id = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/)

export const sessionRecordSchema = z.strictObject({
  id,
  created: iso,
  expiresAt: iso,
  revoked: z.boolean(),
})

export const secretRecordSchema = z.strictObject({
  id,
  provider: z.string(),
  env: z.string(),
  label: z.string().optional(),
  version: z.number().int().min(1),
  /** per-secret AEAD: base64url nonce and ciphertext, AD binds vault, id, provider, env, version */
  nonce: z.string(),
  ct: z.string(),
  /** keyed fingerprint: comparable by the owner, useless for guessing */
  fp: z.string(),
  length: z.number().int().min(0),
  created: iso,
  rotated: iso.optional(),
  lastInjected: iso.optional(),
})

export const assetRecordSchema = z.strictObject({
  name: z.string(),
  path: z.string(),
  identity: z.strictObject({packageName: z.string().optional(), gitRemote: z.string().optional(), fingerprint: z.string()}),
  owner: z.string(),
  enabled: z.boolean(),
  created: iso,
  updated: iso,
  /** what the last scan resolved */
  capabilities: z.array(z.strictObject({
    capability: z.string(),
    provider: z.string(),
    confidence: z.enum(['required', 'likely', 'mentioned']),
    env: z.array(z.string()),
    evidence: z.array(z.strictObject({file: z.string(), line: z.number().int(), kind: z.string()})),
  })),
  /** the owner's manual overrides, kept apart so a rescan never loses them */
  overrides: z.strictObject({include: z.array(z.string()), exclude: z.array(z.string())}),
  disabledReason: z.string().optional(),
})

export const grantRecordSchema = z.strictObject({
  id,
  asset: z.string(),
  capability: z.string(),
  approved: iso,
  notBefore: iso,
  expires: iso,
  usesLeft: z.number().int().min(0).nullable(),
  reason: z.string().optional(),
  revoked: iso.nullable(),
  revokedReason: z.string().optional(),
})

export const killedProviderSchema = z.strictObject({provider: z.string(), at: iso, reason: z.string().optional()})

export const auditAnchorSchema = z.strictObject({
  segment: z.number().int().min(0),
  seq: z.number().int().min(0),
  offset: z.number().int().min(0),
  head: z.string().regex(/^[0-9a-f]{64}$/),
})

export const vaultBodySchema = z.strictObject({
  v: z.literal(1),
  generation: z.number().int().min(0),
  /** the latest wall-clock time the vault has seen; a clock before it (minus tolerance) is a denial */
  lastSeen: iso,
  sessions: z.array(sessionRecordSchema),
  secrets: z.array(secretRecordSchema),
  providers: z.array(providerSchema),
  killedProviders: z.array(killedProviderSchema),
  assets: z.array(assetRecordSchema),
  grants: z.array(grantRecordSchema),
  auditAnchor: auditAnchorSchema.nullable(),
  /** the audit MAC/fingerprint key, encrypted under a DEK subkey (survives rekey) */
  auditKey: z.strictObject({nonce: z.string(), ct: z.string()}),
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
