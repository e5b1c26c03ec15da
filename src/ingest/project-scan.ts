/**
 * What `scan`, `resolve` and `bind` share: scan a project with the catalog in force and, when the
 * vault is open, also look for exact copies of the values it holds (decrypted here only to compare,
 * wiped after; nothing but a masked preview ever leaves).
 */
import type {AuthenticatedVault} from '../cli/context.js'
import {wipe} from '../secrets/crypto.js'
import {loadCatalog} from '../secrets/providers/catalog.js'
import {decryptSecret} from '../secrets/secret-crypto.js'
import type {KnownValue} from './leaks.js'
import {scanProject, type ScanResult} from './scan.js'

export interface ProjectScanOptions {
  path: string
  vault?: AuthenticatedVault
  /** files over this size are not read (skipped 'too-large'); default DEFAULT_MAX_FILE_BYTES */
  maxFileBytes?: number
  onProgress?: (progress: {files: number; bytes: number}) => void
}

export async function scanWithCatalog(options: ProjectScanOptions): Promise<ScanResult> {
  const catalog = options.vault ? await options.vault.catalog() : loadCatalog([])
  const knownValues: KnownValue[] = []
  if (options.vault) {
    const {vault} = options
    for (const record of vault.body.secrets) knownValues.push({value: decryptSecret(vault.header.vaultId, vault.keys, record), label: `${record.provider}:${record.env}`})
  }
  try {
    return await scanProject({root: options.path, providers: catalog.providers, knownValues, maxFileBytes: options.maxFileBytes, onProgress: options.onProgress})
  } finally {
    for (const known of knownValues) if (Buffer.isBuffer(known.value)) wipe(known.value)
  }
}
