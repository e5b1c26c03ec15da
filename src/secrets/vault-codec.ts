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
  FORMAT_MINOR, KDF_PRESETS, type KdfPreset, type KeySlot, type ParsedVaultFile, type PassphraseSlot, type VaultHeader, describeIssue, encodeHeader, parseVaultFile,
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

function slotAd(vaultId: string, slot: Pick<PassphraseSlot, 'id' | 'type' | 'kdf'> | {id: string; type: 'key'}): Buffer {
  return slot.type === 'passphrase'
    ? Buffer.from(`cv1/slot|${vaultId}|${slot.id}|${slot.type}|${canonicalJson(slot.kdf)}`)
    : Buffer.from(`cv1/slot|${vaultId}|${slot.id}|${slot.type}`)
}

/** The key slot's wrapping key: a keyed BLAKE2b of the slot's identity under the 256-bit CI key. */
function keySlotKek(vaultId: string, slotId: string, key: Buffer): Buffer {
  if (key.length !== 32) throw new VaultError('INTERNAL', 'a ci export key has 32 bytes')
  return blake2b(Buffer.from(`cv1/key-slot|${vaultId}|${slotId}`), key)
}

export function makeKeySlot(vaultId: string, dek: Buffer, key: Buffer): KeySlot {
  const partial = {id: toB64(randomBytes(8)), type: 'key' as const}
  const kek = keySlotKek(vaultId, partial.id, key)
  try {
    const nonce = randomBytes(NONCE_BYTES)
    return {...partial, nonce: toB64(nonce), wrapped: toB64(aeadEncrypt(kek, nonce, dek, slotAd(vaultId, partial)))}
  } finally {
    wipe(kek)
  }
}

const KEY_AUTH_FAILURE = {
  code: 'AUTH_FAILED' as const,
  message: 'CODEX_VAULT_KEY does not open this vault',
  suggestions: ['use the key `codex-vault ci export` printed together with this file; each export has its own key'],
}

/** Try every key slot with a `ci export` key (32 raw bytes). */
export function unwrapWithKey(parsed: ParsedVaultFile, key: Buffer): Buffer {
  const vaultId = parsed.header.vaultId
  for (const slot of parsed.header.slots) {
    if (slot.type !== 'key') continue
    const kek = keySlotKek(vaultId, slot.id, key)
    try {
      return aeadDecrypt(kek, fromB64(slot.nonce)!, fromB64(slot.wrapped)!, slotAd(vaultId, slot), KEY_AUTH_FAILURE, true)
    } catch (error) {
      if (!(error instanceof VaultError)) throw error
    } finally {
      wipe(kek)
    }
  }
  const passphraseOnly = !parsed.header.slots.some((slot) => slot.type === 'key')
  throw new VaultError('AUTH_FAILED', passphraseOnly ? 'CODEX_VAULT_KEY is set, but this vault opens with a passphrase, not a ci export key' : KEY_AUTH_FAILURE.message, {
    suggestions: passphraseOnly ? ['unset CODEX_VAULT_KEY, or point CODEX_VAULT_FILE at the exported file'] : KEY_AUTH_FAILURE.suggestions,
  })
}

export async function makePassphraseSlot(vaultId: string, dek: Buffer, passphrase: Buffer, preset: {ops: number; mem: number}): Promise<PassphraseSlot> {
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
    if (slot.type !== 'passphrase') continue
    const kek = await argon2id(passphrase, fromB64(slot.kdf.salt)!, slot.kdf.ops, slot.kdf.mem)
    try {
      return aeadDecrypt(kek, fromB64(slot.nonce)!, fromB64(slot.wrapped)!, slotAd(vaultId, slot), AUTH_FAILURE, true)
    } catch (error) {
      if (!(error instanceof VaultError)) throw error
    } finally {
      wipe(kek)
    }
  }
  if (!parsed.header.slots.some((slot) => slot.type === 'passphrase')) {
    throw new VaultError('AUTH_FAILED', 'this is a ci export vault: it opens with CODEX_VAULT_KEY, not a passphrase', {
      suggestions: ['set CODEX_VAULT_KEY to the key `codex-vault ci export` printed for this file'],
    })
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

export interface NewVault {
  bytes: Buffer
  header: VaultHeader
  body: VaultBody
  keys: VaultKeys
}

/** A brand new vault: random DEK, one passphrase slot, empty body at generation 0. */
export async function buildNewVault(passphrase: Buffer, kdf: KdfPreset, now: Date): Promise<NewVault> {
  return buildWithSlot((vaultId, dek) => makePassphraseSlot(vaultId, dek, passphrase, KDF_PRESETS[kdf]), now)
}

/** A brand new `ci export` vault: random DEK, one key slot for the 32-byte `key`. */
export async function buildKeyVault(key: Buffer, now: Date): Promise<NewVault> {
  return buildWithSlot(async (vaultId, dek) => makeKeySlot(vaultId, dek, key), now)
}

async function buildWithSlot(makeSlot: (vaultId: string, dek: Buffer) => Promise<KeySlot>, now: Date): Promise<NewVault> {
  const vaultId = toB64(randomBytes(16))
  const dek = randomKey()
  const slot = await makeSlot(vaultId, dek)
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
