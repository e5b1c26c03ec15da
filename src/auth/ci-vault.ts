/**
 * The boot-side half of `ci export` (see ci-export.ts): reading CODEX_VAULT_KEY, and the checks an
 * exported vault makes on every command. Kept apart so that `run`'s startup bundle does not carry
 * the export code itself.
 */
import {VaultError} from '../cli/errors.js'
import {fromB64} from '../secrets/crypto.js'
import type {VaultBody} from '../secrets/vault-schema.js'

/** The key's text form: a prefix that says what it is, then 32 random bytes. */
export const CI_KEY_PREFIX = 'cvk1_'
const CI_KEY_PATTERN = /^cvk1_[A-Za-z0-9_-]{43}$/

/** The exported vault's marker: which asset, from which vault, until when. */
export type CiExportMarker = NonNullable<VaultBody['ciExport']>

/** What an exported vault may still do: run, look, and take permissions away. */
const CI_VAULT_COMMANDS = new Set([
  'run', 'status', 'audit:tail', 'audit:verify', 'grant:list', 'grant:revoke', 'asset:list', 'asset:show',
  'secret:list', 'provider:list', 'lock', 'unlock', 'kill',
])

/** CODEX_VAULT_KEY as its 32 raw bytes, checked for shape so that a pasted passphrase or token gets a clear message. */
export function readCiKey(env: NodeJS.ProcessEnv): Buffer | null {
  const text = env.CODEX_VAULT_KEY
  if (text === undefined || text === '') return null
  if (!CI_KEY_PATTERN.test(text)) {
    throw new VaultError('INVALID_INPUT', `CODEX_VAULT_KEY does not look like a ci export key (${CI_KEY_PREFIX}… and 43 more characters)`, {
      suggestions: ['set it to the key `codex-vault ci export` printed for this vault file'],
    })
  }
  return fromB64(text.slice(CI_KEY_PREFIX.length), 32)!
}

/** Boot step for exported vaults: expired -> deny everything; a policy-changing command -> deny. */
export function checkCiVault(body: VaultBody, command: string, now: Date): void {
  const marker = body.ciExport
  if (marker === undefined) return
  const again = `on the owner's machine: codex-vault ci export --asset ${marker.asset} --out FILE`
  if (now.getTime() >= Date.parse(marker.expires)) {
    throw new VaultError('POLICY_DENY', `this ci export of asset ${marker.asset} expired at ${marker.expires}`, {suggestions: [`export it again, ${again}`]})
  }
  if (!CI_VAULT_COMMANDS.has(command)) {
    throw new VaultError('POLICY_DENY', `${command.replaceAll(':', ' ')} is not allowed in a ci export vault: its policy is fixed at export`, {
      suggestions: [`change the policy in the owner's vault, then export again (${again})`],
    })
  }
}
