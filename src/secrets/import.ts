/**
 * `secret import FILE`: move a .env file's provider keys into the vault, matched by name and by
 * key format; report the rest by name only; optionally scrub the imported values from the file.
 */
import {readFileSync, statSync} from 'node:fs'

import {secretFingerprint} from '../audit/fingerprint.js'
import type {AuthenticatedVault} from '../cli/context.js'
import {VaultError} from '../cli/errors.js'
import {replaceDotenvFile} from './dotenv-file.js'
import {parseDotenvFile, scrubDotenv} from './dotenv.js'
import {planImport} from './import-plan.js'
import {newRecord, secretInfo, type SecretInfo} from './store.js'

const MAX_DOTENV_BYTES = 4 * 1024 * 1024

export interface ImportResult {
  file: string
  imported: (SecretInfo & {key: string; line: number})[]
  /** same provider and env already stored: left alone (rotate to replace) */
  alreadyStored: {key: string; line: number; provider: string; env: string; sameValue: boolean}[]
  unrecognised: {key: string; line: number}[]
  public: {key: string; line: number; provider?: string; reason: string}[]
  rejected: {key: string; line: number; reason: string}[]
  parseErrors: {line: number; message: string}[]
  scrubbed: string[]
}

function readDotenv(path: string): string {
  try {
    const stat = statSync(path)
    if (!stat.isFile()) throw new VaultError('INVALID_INPUT', `${path} is not a file`)
    if (stat.size > MAX_DOTENV_BYTES) throw new VaultError('INVALID_INPUT', `${path} is larger than ${MAX_DOTENV_BYTES} bytes; not a .env file?`)
    return readFileSync(path, 'utf8')
  } catch (error) {
    if (error instanceof VaultError) throw error
    throw new VaultError('INVALID_INPUT', `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {cause: error})
  }
}

export async function importDotenv(vault: AuthenticatedVault, options: {file: string; scrub: boolean; now: Date}): Promise<ImportResult> {
  const text = readDotenv(options.file)
  const parsed = parseDotenvFile(text)
  const catalog = await vault.catalog()
  const plan = planImport(parsed.entries, catalog)
  const result = await vault.transact((body) => {
    const imported: ImportResult['imported'] = []
    const alreadyStored: ImportResult['alreadyStored'] = []
    for (const match of plan.matched) {
      const value = plan.values.get(match.key)!
      const existing = body.secrets.find((record) => record.provider === match.provider && record.env === match.env)
      if (existing) {
        alreadyStored.push({key: match.key, line: match.line, provider: match.provider, env: match.env, sameValue: secretFingerprint(vault.keys.audit, Buffer.from(value)) === existing.fp})
        continue
      }
      const record = newRecord(vault, catalog.require(match.provider), match.env, value, undefined, options.now)
      body.secrets.push(record)
      imported.push({...secretInfo(record), key: match.key, line: match.line})
    }
    plan.values.clear()
    return {
      result: {imported, alreadyStored},
      events: [{type: 'secret.import', outcome: 'ok', data: {
        file: options.file, imported: imported.map((item) => `${item.provider}:${item.env}:${item.fingerprint}`),
        unrecognised: plan.unrecognised.length, scrub: options.scrub,
      }}],
    }
  })
  // Only values now safely in the vault (or already there, identical) leave the file.
  const removable = new Set([...result.imported.map((item) => item.key), ...result.alreadyStored.filter((item) => item.sameValue).map((item) => item.key)])
  const scrubbed: string[] = []
  if (options.scrub && removable.size > 0) {
    replaceDotenvFile(options.file, text, scrubDotenv(text, removable))
    scrubbed.push(...removable)
  }
  return {
    file: options.file, imported: result.imported, alreadyStored: result.alreadyStored, unrecognised: plan.unrecognised, public: plan.public,
    rejected: plan.rejected, parseErrors: parsed.errors, scrubbed,
  }
}
