/**
 * Where a passphrase may come from: a hidden TTY prompt, stdin (--passphrase-stdin), or
 * CODEX_VAULT_PASSPHRASE (with a warning: it stays visible in /proc/<pid>/environ). Never argv.
 * Bytes are collected into sodium secure memory, never into a JS string.
 */
import {sodium} from '../secrets/sodium.js'

import {VaultError, type ErrorCode} from '../cli/errors.js'
import {wipe} from '../secrets/crypto.js'

const MAX_PASSPHRASE = 1024
export const MIN_NEW_PASSPHRASE = 8

export interface PassphraseSource {
  env: NodeJS.ProcessEnv
  /** --passphrase-stdin */
  fromStdin: boolean
  stdin: NodeJS.ReadStream
  stderr: NodeJS.WriteStream
  warn(message: string): void
}

function toSecure(bytes: Buffer): Buffer {
  const out = sodium.sodium_malloc(bytes.length)
  bytes.copy(out)
  return out
}

export async function readAllStdin(stdin: NodeJS.ReadStream, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
    size += buffer.length
    if (size > limit) throw new VaultError('INVALID_INPUT', `stdin: input is larger than ${limit} bytes`)
    chunks.push(buffer)
  }
  const all = Buffer.concat(chunks)
  for (const chunk of chunks) wipe(chunk)
  return all
}

/** Strip exactly one trailing newline (from `echo` or a file), nothing else. */
function stripTrailingNewline(buffer: Buffer): Buffer {
  let end = buffer.length
  if (end > 0 && buffer[end - 1] === 0x0a) end--
  if (end > 0 && buffer[end - 1] === 0x0d) end--
  return buffer.subarray(0, end)
}

/** A hidden prompt on the terminal; the answer is collected in secure memory. */
export function promptHidden(stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream, question: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const collected = sodium.sodium_malloc(MAX_PASSPHRASE)
    let length = 0
    stderr.write(question)
    stdin.setRawMode(true)
    stdin.resume()
    const finish = (error?: VaultError) => {
      stdin.setRawMode(false)
      stdin.pause()
      stdin.off('data', onData)
      stderr.write('\n')
      if (error) {
        wipe(collected)
        reject(error)
      } else {
        const out = toSecure(collected.subarray(0, length))
        wipe(collected)
        resolve(out)
      }
    }
    const onData = (chunk: Buffer) => {
      for (const byte of chunk) {
        if (byte === 0x0d || byte === 0x0a) return finish()
        if (byte === 0x03 || byte === 0x04) return finish(new VaultError('USAGE', 'cancelled'))
        if (byte === 0x7f || byte === 0x08) {
          if (length > 0) length--
          continue
        }
        if (length >= MAX_PASSPHRASE) return finish(new VaultError('INVALID_INPUT', `passphrase longer than ${MAX_PASSPHRASE} bytes`))
        collected[length++] = byte
      }
      wipe(chunk)
    }
    stdin.on('data', onData)
  })
}

function checkNotEmpty(passphrase: Buffer): Buffer {
  if (passphrase.length === 0) {
    wipe(passphrase)
    throw new VaultError('INVALID_INPUT', 'the passphrase is empty')
  }
  return passphrase
}

/**
 * Read the passphrase of an existing vault, or a new one (`confirm`: asked twice on a TTY, and
 * held to a minimum length). With no source and no TTY we fail at once instead of hanging.
 */
export async function readPassphrase(source: PassphraseSource, options: {
  purpose: string
  confirm?: boolean
  missingCode?: ErrorCode
  /** a command that takes only the passphrase (unlock, rekey): named in the error when there is none */
  requiredBy?: string
}): Promise<Buffer> {
  if (source.fromStdin) {
    const raw = await readAllStdin(source.stdin, MAX_PASSPHRASE + 2)
    const secure = toSecure(stripTrailingNewline(raw))
    wipe(raw)
    // a line break cannot be typed at the prompt: stdin with two lines is a passphrase plus
    // something else (a stray blank line, a key meant for the next command)
    if (secure.includes(0x0a) || secure.includes(0x0d)) {
      if (options.confirm) {
        wipe(secure)
        throw new VaultError('INVALID_INPUT', 'the passphrase read from stdin spans several lines; nothing was changed', {
          suggestions: ['pipe in the passphrase alone, on one line: printf %s "$PASSPHRASE" | codex-vault ... --passphrase-stdin'],
        })
      }
      source.warn('stdin held more than one line; all of it is taken as the passphrase (pipe in the passphrase alone)')
    }
    return checkNew(checkNotEmpty(secure), options.confirm)
  }
  const fromEnv = source.env.CODEX_VAULT_PASSPHRASE
  if (fromEnv !== undefined && fromEnv !== '') {
    source.warn('using CODEX_VAULT_PASSPHRASE from the environment; prefer a session (`eval "$(codex-vault unlock)"`) or --passphrase-stdin')
    return checkNew(checkNotEmpty(toSecure(Buffer.from(fromEnv, 'utf8'))), options.confirm)
  }
  if (source.stdin.isTTY && typeof source.stdin.setRawMode === 'function') {
    const first = await promptHidden(source.stdin, source.stderr, `${options.purpose}: `)
    if (options.confirm) {
      const second = await promptHidden(source.stdin, source.stderr, 'repeat it: ')
      const same = first.length === second.length && sodium.sodium_memcmp(first, second)
      wipe(second)
      if (!same) {
        wipe(first)
        throw new VaultError('INVALID_INPUT', 'the two passphrases differ; nothing was changed')
      }
    }
    return checkNew(checkNotEmpty(first), options.confirm)
  }
  if (options.requiredBy) {
    throw new VaultError(options.missingCode ?? 'NO_PASSPHRASE', `${options.requiredBy} needs the passphrase (a session cannot stand in for it), and there is no terminal to prompt on`, {
      suggestions: [
        `pipe it: ... | codex-vault ${options.requiredBy} --passphrase-stdin`,
        'or set CODEX_VAULT_PASSPHRASE (less safe: visible in /proc/<pid>/environ)',
        `or run codex-vault ${options.requiredBy} in a terminal, where it asks for the passphrase`,
      ],
    })
  }
  throw new VaultError(options.missingCode ?? 'NO_PASSPHRASE', 'the vault is locked and no passphrase source is available (no terminal to prompt on)', {
    suggestions: [
      'start a session: eval "$(codex-vault unlock)" in a terminal, then export CODEX_VAULT_SESSION to this environment',
      'or pipe the passphrase: ... | codex-vault <command> --passphrase-stdin',
      'or set CODEX_VAULT_PASSPHRASE (less safe: visible in /proc/<pid>/environ)',
      'in CI with a `codex-vault ci export` file: set CODEX_VAULT_KEY to the key it printed',
    ],
  })
}

function checkNew(passphrase: Buffer, isNew: boolean | undefined): Buffer {
  if (isNew && passphrase.length < MIN_NEW_PASSPHRASE) {
    wipe(passphrase)
    throw new VaultError('INVALID_INPUT', `a new passphrase must be at least ${MIN_NEW_PASSPHRASE} characters long`)
  }
  return passphrase
}
