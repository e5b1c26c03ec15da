/**
 * The vault file's binary layout and its minimal plaintext header (research/security.md §4.2):
 *
 *   magic "CODEXVLT" | u16 major | u16 minor | u32 header_len | header (canonical JSON)
 *   | header_mac (32, keyed BLAKE2b under K_hdr) | body_nonce (24) | body ciphertext
 *
 * Everything after the header is authenticated; the header itself is authenticated by the MAC
 * (key commitment) and again as associated data of the body. No trailing bytes are possible
 * because the body ciphertext runs to EOF and any change breaks its tag.
 */
// zod/mini (see providers/schema.ts for why)
import './zod-config.js' // first: jitless and English messages before any schema is built
import {array, discriminatedUnion, int, iso, literal, maxLength, maximum, minLength, minimum, refine, strictObject, string} from 'zod/mini'
import type {z} from 'zod/mini'

import {VaultError} from '../cli/errors.js'
import {canonicalJson, parseCanonicalJson} from './canonical-json.js'
import {NONCE_BYTES, SALT_BYTES, TAG_BYTES, fromB64} from './crypto.js'

export const MAGIC = Buffer.from('CODEXVLT')
export const FORMAT_MAJOR = 1
export const FORMAT_MINOR = 0
export const MAX_HEADER_BYTES = 65_536
export const MAX_VAULT_BYTES = 16 * 1024 * 1024
export const PREFIX_BYTES = 16
export const HEADER_MAC_BYTES = 32

/** Argon2id bounds checked before any KDF runs: a hostile header cannot make us allocate 64 GiB. */
export const KDF_BOUNDS = {opsMin: 2, opsMax: 10, memMin: 64 * 1024 * 1024, memMax: 1024 * 1024 * 1024} as const
export const KDF_PRESETS = {
  interactive: {ops: 2, mem: 64 * 1024 * 1024},
  moderate: {ops: 3, mem: 256 * 1024 * 1024},
} as const
export type KdfPreset = keyof typeof KDF_PRESETS

const b64 = (bytes: number) => string().check(refine((text) => fromB64(text, bytes) !== null, `must be ${bytes} bytes of base64url`))

export const kdfSchema = strictObject({
  alg: literal('argon2id13'),
  ops: int().check(minimum(KDF_BOUNDS.opsMin), maximum(KDF_BOUNDS.opsMax)),
  mem: int().check(minimum(KDF_BOUNDS.memMin), maximum(KDF_BOUNDS.memMax)),
  salt: b64(SALT_BYTES),
})

export const passphraseSlotSchema = strictObject({
  id: b64(8),
  type: literal('passphrase'),
  kdf: kdfSchema,
  nonce: b64(NONCE_BYTES),
  wrapped: b64(32 + TAG_BYTES),
})

/** `ci export` vaults: the data key wrapped under a random 256-bit key, so no KDF is needed (or run). */
export const keySlotSchema = strictObject({
  id: b64(8),
  type: literal('key'),
  nonce: b64(NONCE_BYTES),
  wrapped: b64(32 + TAG_BYTES),
})

export const slotSchema = discriminatedUnion('type', [passphraseSlotSchema, keySlotSchema])

export const headerSchema = strictObject({
  v: literal(1),
  vaultId: b64(16),
  generation: int().check(minimum(0), maximum(Number.MAX_SAFE_INTEGER)),
  created: iso.datetime(),
  slots: array(slotSchema).check(minLength(1), maxLength(8)),
  body: strictObject({alg: literal('xchacha20poly1305-ietf')}),
})

export type VaultHeader = z.infer<typeof headerSchema>
export type KeySlot = z.infer<typeof slotSchema>
export type PassphraseSlot = z.infer<typeof passphraseSlotSchema>

export interface ParsedVaultFile {
  header: VaultHeader
  minor: number
  /** bytes [0, 16+H): what the header MAC covers */
  macInput: Buffer
  headerMac: Buffer
  /** bytes [0, 48+H): the body's associated data */
  bodyAd: Buffer
  bodyNonce: Buffer
  bodyCiphertext: Buffer
}

function headerFailure(message: string): VaultError {
  return new VaultError('HEADER_INVALID', `vault header: ${message}`, {
    suggestions: ['the file is not a codex-vault vault or is damaged; restore it from a backup'],
  })
}

/** Strictly parse the plaintext parts; no key needed, no KDF run. */
export function parseVaultFile(bytes: Buffer): ParsedVaultFile {
  if (bytes.length > MAX_VAULT_BYTES) throw headerFailure(`file is larger than ${MAX_VAULT_BYTES} bytes`)
  if (bytes.length < PREFIX_BYTES || !bytes.subarray(0, 8).equals(MAGIC)) throw headerFailure('bad magic bytes')
  const major = bytes.readUInt16LE(8)
  const minor = bytes.readUInt16LE(10)
  if (major !== FORMAT_MAJOR) {
    throw new VaultError('VAULT_UNSUPPORTED', `vault: unsupported format version ${major}.${minor}`, {
      suggestions: ['upgrade codex-vault to a version that supports this vault'],
    })
  }
  const headerLength = bytes.readUInt32LE(12)
  if (headerLength < 1 || headerLength > MAX_HEADER_BYTES) throw headerFailure('header length out of bounds')
  const headerEnd = PREFIX_BYTES + headerLength
  const bodyStart = headerEnd + HEADER_MAC_BYTES + NONCE_BYTES
  if (bytes.length < bodyStart + TAG_BYTES) throw headerFailure('file is truncated')
  const text = bytes.subarray(PREFIX_BYTES, headerEnd).toString('utf8')
  const json = parseCanonicalJson(text)
  if (json === undefined) throw headerFailure('header is not canonical JSON')
  const parsed = headerSchema.safeParse(json)
  if (!parsed.success) throw headerFailure(describeIssue(parsed.error))
  return {
    header: parsed.data,
    minor,
    macInput: bytes.subarray(0, headerEnd),
    headerMac: bytes.subarray(headerEnd, headerEnd + HEADER_MAC_BYTES),
    bodyAd: bytes.subarray(0, headerEnd + HEADER_MAC_BYTES),
    bodyNonce: bytes.subarray(headerEnd + HEADER_MAC_BYTES, bodyStart),
    bodyCiphertext: bytes.subarray(bodyStart),
  }
}

export function describeIssue(error: {issues: z.core.$ZodIssue[]}): string {
  const issue = error.issues[0]
  const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '')
  return `${path || 'value'}: ${issue.message}`
}

/** The prefix and header bytes of a new file; the MAC and body are appended by the writer. */
export function encodeHeader(header: VaultHeader): Buffer {
  const json = Buffer.from(canonicalJson(header), 'utf8')
  if (json.length > MAX_HEADER_BYTES) throw new VaultError('INTERNAL', 'vault header too large')
  const prefix = Buffer.alloc(PREFIX_BYTES)
  MAGIC.copy(prefix, 0)
  prefix.writeUInt16LE(FORMAT_MAJOR, 8)
  prefix.writeUInt16LE(FORMAT_MINOR, 10)
  prefix.writeUInt32LE(json.length, 12)
  return Buffer.concat([prefix, json])
}

/** The first passphrase slot (owner vaults have one; `ci export` vaults have none). */
export function passphraseSlotOf(header: VaultHeader): PassphraseSlot | undefined {
  return header.slots.find((slot): slot is PassphraseSlot => slot.type === 'passphrase')
}

export function readKdfPreset(kdf: {ops: number; mem: number}): KdfPreset | 'custom' {
  for (const [name, preset] of Object.entries(KDF_PRESETS)) if (preset.ops === kdf.ops && preset.mem === kdf.mem) return name as KdfPreset
  return 'custom'
}
