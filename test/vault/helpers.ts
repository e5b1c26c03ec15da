/** In-process vault fixtures for the codec tests: no CLI, one Argon2 run (interactive) per vault. */
import {randomBytes} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {VaultError} from '../../src/cli/errors.js'
import {canonicalJson} from '../../src/secrets/canonical-json.js'
import {buildNewVault, openBody, sealVault, unwrapWithPassphrase} from '../../src/secrets/vault-codec.js'
import {PREFIX_BYTES, type VaultHeader, parseVaultFile} from '../../src/secrets/vault-header.js'
import {type VaultKeys, vaultKeysFrom} from '../../src/secrets/vault-keys.js'
import type {VaultBody} from '../../src/secrets/vault-schema.js'

export interface TestVault {
  passphrase: Buffer
  bytes: Buffer
  header: VaultHeader
  body: VaultBody
  keys: VaultKeys
}

export function randomPassphrase(): Buffer {
  return Buffer.from(randomBytes(30).toString('base64url'))
}

export async function buildTestVault(passphrase = randomPassphrase()): Promise<TestVault> {
  const built = await buildNewVault(passphrase, 'interactive', new Date())
  return {passphrase, bytes: built.bytes, header: built.header, body: built.body, keys: built.keys}
}

/** The same vault sealed at another generation (what the next write would produce). */
export function sealAt(vault: TestVault, generation: number): Buffer {
  return sealVault(vault.header, {...vault.body, generation}, vault.keys)
}

/** Byte ranges of a file: [start, end) of the header JSON, MAC, body nonce and ciphertext. */
export function layout(bytes: Buffer): {headerEnd: number; macEnd: number; nonceEnd: number} {
  const headerEnd = PREFIX_BYTES + bytes.readUInt32LE(12)
  return {headerEnd, macEnd: headerEnd + 32, nonceEnd: headerEnd + 56}
}

const unwrapInputs = (header: VaultHeader) => canonicalJson({slots: header.slots, vaultId: header.vaultId})

/**
 * What the boot sequence does with a file and a passphrase: parse, unwrap a slot, verify, decrypt.
 * The Argon2 run is skipped (keys reused) only when the vault id and slots, all that unwrapping
 * reads, are identical to the original's: unwrapping is deterministic and would give the same key.
 */
export async function openLikeBoot(bytes: Buffer, passphrase: Buffer, original: TestVault): Promise<VaultBody> {
  const parsed = parseVaultFile(bytes)
  const same = unwrapInputs(parsed.header) === unwrapInputs(original.header)
  const keys = same ? original.keys : vaultKeysFrom(await unwrapWithPassphrase(parsed, passphrase))
  try {
    return openBody(parsed, keys)
  } finally {
    if (!same) keys.wipe()
  }
}

/** Rewrite the header JSON (kept canonical) and its length field; MAC, nonce and body bytes are kept. */
export function rewriteHeader(bytes: Buffer, mutate: (header: Record<string, any>) => void): Buffer {
  const {headerEnd} = layout(bytes)
  const header = JSON.parse(bytes.subarray(PREFIX_BYTES, headerEnd).toString('utf8'))
  mutate(header)
  const json = Buffer.from(canonicalJson(header), 'utf8')
  const prefix = Buffer.from(bytes.subarray(0, PREFIX_BYTES))
  prefix.writeUInt32LE(json.length, 12)
  return Buffer.concat([prefix, json, bytes.subarray(headerEnd)])
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Replace the character at `index` (not the last one, whose low bits must stay zero) with another valid one. */
export function changeB64Char(text: string, index: number): string {
  const next = B64URL[(B64URL.indexOf(text[index]) + 17) % 64]
  return text.slice(0, index) + next + text.slice(index + 1)
}

export async function expectRejects(promise: Promise<unknown>, code?: string): Promise<VaultError> {
  let caught: unknown
  try {
    await promise
  } catch (error) {
    caught = error
  }
  expect(caught, `expected a VaultError${code ? ` ${code}` : ''}`).to.be.instanceOf(VaultError)
  if (code) expect((caught as VaultError).code).to.equal(code)
  return caught as VaultError
}

export function expectThrows(fn: () => unknown, code?: string): VaultError {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  expect(caught, `expected a VaultError${code ? ` ${code}` : ''}`).to.be.instanceOf(VaultError)
  if (code) expect((caught as VaultError).code).to.equal(code)
  return caught as VaultError
}

export function tempDir(prefix = 'cv-vault-test-'): {dir: string; cleanup: () => void} {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return {dir, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}
