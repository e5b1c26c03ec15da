/**
 * Turning vault bytes into an authenticated body and back. Order on open (never act on partially
 * verified data): parse + bounds -> key slot -> header MAC -> body AEAD -> strict schema -> semantic
 * checks. Each failure class has its own exit code (3 header, 4 auth, 5 integrity).
 */
import {sodium} from './sodium.js'

import {VaultError} from '../cli/errors.js'
import {canonicalJson} from './canonical-json.js'
import {
  NONCE_BYTES, aeadDecrypt, aeadEncrypt, argon2id, blake2b, constantTimeEqual, fromB64, randomBytes, randomKey, toB64, wipe,
} from './crypto.js'
import {
  FORMAT_MINOR, KDF_PRESETS, type KdfPreset, type KeySlot, type ParsedVaultFile, type VaultHeader, describeIssue, encodeHeader, parseVaultFile,
} from './vault-header.js'
import {type VaultKeys, vaultKeysFrom} from './vault-keys.js'
import {type VaultBody, emptyBody, vaultBodySchema} from './vault-schema.js'

const AUTH_FAILURE = {
  code: 'AUTH_FAILED' as const,
  message: 'wrong passphrase or damaged key slot',
  suggestions: ['check the passphrase (CODEX_VAULT_PASSPHRASE, --passphrase-stdin or the prompt) and try again'],
}

export function integrityError(what: string): VaultError {
  return new VaultError('INTEGRITY', `vault integrity check failed: ${what}`, {
    suggestions: ['the vault file was modified or damaged; restore it from a backup, and run `codex-vault audit verify`'],
  })
}

function slotAd(vaultId: string, slot: Pick<KeySlot, 'id' | 'type' | 'kdf'>): Buffer {
  return Buffer.from(`cv1/slot|${vaultId}|${slot.id}|${slot.type}|${canonicalJson(slot.kdf)}`)
}

export async function makePassphraseSlot(vaultId: string, dek: Buffer, passphrase: Buffer, preset: {ops: number; mem: number}): Promise<KeySlot> {
  const salt = randomBytes(16)
  const partial = {id: toB64(randomBytes(8)), type: 'passphrase' as const, kdf: {alg: 'argon2id13' as const, ops: preset.ops, mem: preset.mem, salt: toB64(salt)}}
  const kek = await argon2id(passphrase, salt, preset.ops, preset.mem)
  try {
    const nonce = randomBytes(NONCE_BYTES)
    const wrapped = aeadEncrypt(kek, nonce, dek, slotAd(vaultId, partial))
    return {...partial, nonce: toB64(nonce), wrapped: toB64(wrapped)}
  } finally {
    wipe(kek)
  }
}

/** Try every passphrase slot; one message for a wrong passphrase and a damaged slot alike. */
export async function unwrapWithPassphrase(parsed: ParsedVaultFile, passphrase: Buffer): Promise<Buffer> {
  const vaultId = parsed.header.vaultId
  for (const slot of parsed.header.slots) {
    const kek = await argon2id(passphrase, fromB64(slot.kdf.salt)!, slot.kdf.ops, slot.kdf.mem)
    try {
      return aeadDecrypt(kek, fromB64(slot.nonce)!, fromB64(slot.wrapped)!, slotAd(vaultId, slot), AUTH_FAILURE, true)
    } catch (error) {
      if (!(error instanceof VaultError)) throw error
    } finally {
      wipe(kek)
    }
  }
  throw new VaultError(AUTH_FAILURE.code, AUTH_FAILURE.message, {suggestions: AUTH_FAILURE.suggestions})
}

/** Authenticate and decrypt the body with an already unwrapped data key. */
export function openBody(parsed: ParsedVaultFile, keys: VaultKeys): VaultBody {
  if (!constantTimeEqual(blake2b(parsed.macInput, keys.header), parsed.headerMac)) {
    throw integrityError('header authentication failed (or the key belongs to another vault)')
  }
  const plaintext = aeadDecrypt(keys.body, parsed.bodyNonce, parsed.bodyCiphertext, parsed.bodyAd,
    {code: 'INTEGRITY', message: 'vault integrity check failed: body authentication failed',
      suggestions: ['the vault file was modified or damaged; restore it from a backup']})
  let json: unknown
  try {
    json = JSON.parse(plaintext.toString('utf8'))
  } catch {
    throw integrityError('body is not valid JSON')
  } finally {
    wipe(plaintext)
  }
  const body = vaultBodySchema.safeParse(json)
  if (!body.success) throw integrityError(`body schema: ${describeIssue(body.error)}`)
  if (body.data.generation !== parsed.header.generation) throw integrityError('header and body generations differ')
  unwrapAuditKey(body.data, parsed.header.vaultId, keys)
  return body.data
}

const auditKeyAd = (vaultId: string) => Buffer.from(`cv1/audit-key|${vaultId}`)

export function wrapAuditKey(vaultId: string, keys: VaultKeys): VaultBody['auditKey'] {
  const nonce = randomBytes(NONCE_BYTES)
  return {nonce: toB64(nonce), ct: toB64(aeadEncrypt(keys.auditWrap, nonce, keys.audit, auditKeyAd(vaultId)))}
}

function unwrapAuditKey(body: VaultBody, vaultId: string, keys: VaultKeys): void {
  const nonce = fromB64(body.auditKey.nonce, NONCE_BYTES)
  const ct = fromB64(body.auditKey.ct)
  if (!nonce || !ct) throw integrityError('audit key record is malformed')
  const key = aeadDecrypt(keys.auditWrap, nonce, ct, auditKeyAd(vaultId), {code: 'INTEGRITY', message: 'vault integrity check failed: audit key'}, true)
  key.copy(keys.audit)
  wipe(key)
}

/** Serialise a complete file; the body's generation is copied into the header. */
export function sealVault(header: VaultHeader, body: VaultBody, keys: VaultKeys): Buffer {
  const nextHeader: VaultHeader = {...header, generation: body.generation}
  const headerBytes = encodeHeader(nextHeader)
  const mac = blake2b(headerBytes, keys.header)
  const nonce = randomBytes(NONCE_BYTES)
  const ad = Buffer.concat([headerBytes, mac])
  const plaintext = Buffer.from(JSON.stringify(body), 'utf8')
  try {
    return Buffer.concat([ad, nonce, aeadEncrypt(keys.body, nonce, plaintext, ad)])
  } finally {
    wipe(plaintext)
  }
}

const sodiumRandom = (buffer: Buffer) => sodium.randombytes_buf(buffer)

/** A brand new vault: random DEK, one passphrase slot, empty body at generation 0. */
export async function buildNewVault(passphrase: Buffer, kdf: KdfPreset, now: Date): Promise<{bytes: Buffer; header: VaultHeader; body: VaultBody; keys: VaultKeys}> {
  const vaultId = toB64(randomBytes(16))
  const dek = randomKey()
  const slot = await makePassphraseSlot(vaultId, dek, passphrase, KDF_PRESETS[kdf])
  const header: VaultHeader = {v: 1, vaultId, generation: 0, created: now.toISOString(), slots: [slot], body: {alg: 'xchacha20poly1305-ietf'}}
  const keys = vaultKeysFrom(dek)
  sodiumRandom(keys.audit)
  const body = emptyBody(now, wrapAuditKey(vaultId, keys))
  return {bytes: sealVault(header, body, keys), header, body, keys}
}

/** Parse and refuse to rewrite a file whose minor version we do not know (no silent downgrade). */
export function parseForWrite(bytes: Buffer): ParsedVaultFile {
  const parsed = parseVaultFile(bytes)
  if (parsed.minor !== FORMAT_MINOR) {
    throw new VaultError('VAULT_UNSUPPORTED', `vault: format ${1}.${parsed.minor} is newer than this codex-vault; refusing to write it`, {
      suggestions: ['upgrade codex-vault before changing this vault'],
    })
  }
  return parsed
}
