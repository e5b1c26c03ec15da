/**
 * `secret import FILE`: move a .env file's provider keys into the vault, matched by name and by
 * key format; report the rest by name only; optionally scrub the imported values from the file.
 */
import {readFileSync, statSync} from 'node:fs'

import type {AuditEvent} from '../audit/events.js'
import {secretFingerprint} from '../audit/fingerprint.js'
import type {AuthenticatedVault} from '../cli/context.js'
import {VaultError} from '../cli/errors.js'
import {type AtomicWriter, checkDotenvReplaceable, replaceDotenvFile} from './dotenv-file.js'
import {type DotenvParse, parseDotenvFile, scrubDotenv} from './dotenv.js'
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
  /** one name with different values on several lines: none imported, every line left in the file */
  conflicts: {key: string; lines: number[]; reason: string}[]
  parseErrors: {line: number; message: string}[]
  /** names removed from the file (only ever names whose values are safely in the vault) */
  scrubbed: string[]
  /** --scrub failed after the import was stored: these values are in the vault and still in the file */
  scrubError?: {message: string; keys: string[]}
}

/** The .env as read and parsed, before any vault is opened. */
export interface DotenvSource {
  file: string
  text: string
  parsed: DotenvParse
}

function readDotenv(path: string): string {
  try {
    const stat = statSync(path)
    if (!stat.isFile()) throw new VaultError('INVALID_INPUT', `${path} is not a file`, {suggestions: ['give the path of a .env file, e.g. codex-vault secret import .env']})
    if (stat.size > MAX_DOTENV_BYTES) throw new VaultError('INVALID_INPUT', `${path} is larger than ${MAX_DOTENV_BYTES} bytes; not a .env file?`)
    return readFileSync(path, 'utf8')
  } catch (error) {
    if (error instanceof VaultError) throw error
    throw new VaultError('INVALID_INPUT', `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {cause: error, suggestions: ['check the path and its permissions; e.g. codex-vault secret import .env']})
  }
}

/**
 * Read and parse the file (no vault needed, so a wrong file fails before any passphrase prompt).
 * A file in which not one line parses (a pasted bare key, a JSON file) is a usage error; its
 * lines are never quoted, since they may be keys.
 */
export function readImportFile(file: string): DotenvSource {
  const text = readDotenv(file)
  const parsed = parseDotenvFile(text)
  if (parsed.entries.length === 0 && parsed.errors.length > 0) {
    const first = parsed.errors[0]
    throw new VaultError('INVALID_INPUT', `${file} has no KEY=value line (${parsed.errors.length} line(s) could not be read; line ${first.line}: ${first.message}); nothing was imported`, {
      suggestions: [
        'a .env file holds KEY=value lines, e.g. OPENAI_API_KEY=...',
        'to store a single key, pipe it to `codex-vault secret set PROVIDER` (never on the command line)',
      ],
    })
  }
  return {file, text, parsed}
}

export interface ImportOptions {
  file: string
  scrub: boolean
  now: Date
  /** the file, already read with readImportFile (else it is read here) */
  source?: DotenvSource
  /** warnings that do not fail the import (e.g. the scrub's audit record could not be written) */
  warn?: (message: string) => void
  /** the .env's atomic writer; tests make it fail */
  write?: AtomicWriter
  /** the permission probe before a scrub (fs.accessSync); tests make it fail */
  access?: (path: string, mode: number) => void
}

export async function importDotenv(vault: AuthenticatedVault, options: ImportOptions): Promise<ImportResult> {
  const {text, parsed} = options.source ?? readImportFile(options.file)
  const catalog = await vault.catalog()
  const plan = planImport(parsed.entries, catalog)
  const rewrite = (next: string) => replaceDotenvFile(options.file, text, next, options.write)
  if (options.scrub && plan.matched.length > 0) {
    // Before anything is stored: if the folder or the file forbids the replace the scrub will do,
    // refusing here leaves vault and file as they were.
    try {
      checkDotenvReplaceable(options.file, options.access)
    } catch (error) {
      throw scrubRefused(error as VaultError)
    }
  }
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
        unrecognised: plan.unrecognised.length, conflicts: plan.conflicts.map((item) => item.key),
        // what was asked; whether the file was rewritten is the secret.scrub record that follows
        scrubRequested: options.scrub,
      }}],
    }
  })
  // Only values now safely in the vault (or already there, identical) leave the file.
  const removable = [...new Set([...result.imported.map((item) => item.key), ...result.alreadyStored.filter((item) => item.sameValue).map((item) => item.key)])]
  const scrubbed: string[] = []
  let scrubError: ImportResult['scrubError']
  if (options.scrub && removable.length > 0) {
    try {
      rewrite(scrubDotenv(text, new Set(removable)))
      scrubbed.push(...removable)
    } catch (error) {
      scrubError = {message: (error as VaultError).message, keys: removable} // replaceDotenvFile throws only VaultErrors
    }
    const event: AuditEvent = scrubError
      ? {type: 'secret.scrub', outcome: 'error', reason: scrubError.message, data: {file: options.file, scrubbed: [], left: removable}}
      : {type: 'secret.scrub', outcome: 'ok', data: {file: options.file, scrubbed}}
    try {
      await vault.recordDenial(event) // one audit record, the body unchanged (not only for denials)
    } catch (error) {
      options.warn?.(`the audit record of the scrub could not be written (${error instanceof VaultError ? error.message : 'error'})`)
    }
  }
  return {
    file: options.file, imported: result.imported, alreadyStored: result.alreadyStored, unrecognised: plan.unrecognised, public: plan.public,
    rejected: plan.rejected, conflicts: plan.conflicts, parseErrors: parsed.errors, scrubbed, ...(scrubError ? {scrubError} : {}),
  }
}

function scrubRefused(error: VaultError): VaultError {
  const folder = typeof error.details?.folder === 'string' ? error.details.folder : undefined
  return new VaultError('INVALID_INPUT', `${error.message}; so --scrub cannot be done and nothing was imported`, {
    cause: error,
    suggestions: [
      ...folder ? [`let ${folder} take new files (write permission) and the file be replaced (no immutable flag: lsattr), then run the import again`] : error.suggestions,
      'or import without --scrub and remove the values from the file yourself',
    ],
    details: {imported: 0, scrubbed: false},
  })
}

/** The import is stored but the file still holds the values: not a success, not a bug. */
export function scrubFailure(result: ImportResult): VaultError {
  const {scrubError} = result
  if (!scrubError) throw new VaultError('INTERNAL', 'scrubFailure called without a scrub error')
  const stored = result.imported.length
  return new VaultError('INVALID_INPUT', `${stored > 0 ? `imported ${stored} secret(s) into the vault, but` : 'the values are in the vault, but'} the file was not scrubbed: ${scrubError.message}`, {
    suggestions: [
      `${scrubError.keys.join(', ')} ${scrubError.keys.length === 1 ? 'is' : 'are'} still in ${result.file}: fix the cause, then run \`codex-vault secret import ${result.file} --scrub\` again (stored values are only scrubbed), or remove the lines yourself`,
    ],
    details: {imported: result.imported.map((item) => `${item.provider}:${item.env}`), scrubbed: false, left: scrubError.keys},
  })
}
