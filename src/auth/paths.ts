/** Where codex-vault keeps its files (spec/product.md "Files"). */
import {homedir} from 'node:os'
import {join} from 'node:path'

export function defaultVaultPath(env: NodeJS.ProcessEnv): string {
  const dataHome = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share')
  return join(dataHome, 'codex-vault', 'vault.cv')
}

/** Session files live in the per-user runtime dir (tmpfs, cleared at logout) when there is one. */
export function sessionRoot(env: NodeJS.ProcessEnv): string {
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'codex-vault')
  return join(env.HOME || homedir(), '.cache', 'codex-vault')
}

export const auditPathFor = (vaultPath: string) => `${vaultPath}.audit`
export const runsDirFor = (vaultPath: string) => `${vaultPath}.runs`

/** Size at which the audit log starts a new segment; overridable so tests can rotate quickly. */
export function auditSegmentBytes(env: NodeJS.ProcessEnv): number | undefined {
  const value = Number(env.CODEX_VAULT_AUDIT_SEGMENT_BYTES)
  return Number.isSafeInteger(value) && value >= 1024 ? value : undefined
}
