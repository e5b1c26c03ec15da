/** `status`: what could be checked, step by step, even when the vault is locked. */
import type {AuthenticatedVault} from '../cli/context.js'
import type {LiveRun} from '../runtime/live-runs.js'
import {passphraseSlotOf, readKdfPreset, type ParsedVaultFile} from '../secrets/vault-header.js'

export interface StatusStep {
  step: string
  ok: boolean
  detail: string
}

export interface VaultStatus {
  vault: string
  vaultId?: string
  format?: string
  kdf?: string
  generation?: number
  locked: boolean
  session?: {id: string; expiresAt: string; scope?: 'run'} | null
  counts?: {secrets: number; assets: number; activeGrants: number; activeSessions: number; userProviders: number; killedProviders: number}
  audit?: {seq: number; head: string} | null
  /** runs of this vault in progress now: what is holding or using a key */
  liveRuns?: {asset: string; command?: string; mode?: string; capabilities: string[]; pid: number; childPid: number | null; started: string}[]
  steps: StatusStep[]
}

export function headerStatus(vaultPath: string, parsed: ParsedVaultFile): VaultStatus {
  const kdf = passphraseSlotOf(parsed.header)?.kdf
  return {
    vault: vaultPath,
    vaultId: parsed.header.vaultId,
    format: `1.${parsed.minor}`,
    kdf: kdf ? `${readKdfPreset(kdf)} (argon2id, ops ${kdf.ops}, ${kdf.mem / 1024 / 1024} MiB)` : 'none: a ci export key slot (CODEX_VAULT_KEY)',
    generation: parsed.header.generation,
    locked: true,
    steps: [{step: 'configuration', ok: true, detail: vaultPath}, {step: 'vault header', ok: true, detail: `format 1.${parsed.minor}, generation ${parsed.header.generation}`}],
  }
}

function authDetail(vault: AuthenticatedVault): string {
  if (vault.via.kind === 'session') return `${vault.via.scope === 'run' ? 'run-only session' : 'session'} until ${vault.via.expiresAt}`
  if (vault.via.kind === 'passphrase') return 'passphrase'
  const marker = vault.body.ciExport
  return marker ? `ci export key: asset ${marker.asset} only, until ${marker.expires}` : 'ci export key'
}

/** `liveRuns`: undefined when they could not be listed (status still reports everything else). */
export function unlockedStatus(base: VaultStatus, vault: AuthenticatedVault, now: Date, liveRuns?: LiveRun[]): VaultStatus {
  const {body} = vault
  const t = now.getTime()
  const active = (grant: (typeof body.grants)[number]) => !grant.revoked && Date.parse(grant.expires) > t && grant.usesLeft !== 0
  return {
    ...base,
    locked: false,
    generation: vault.header.generation,
    session: vault.via.kind === 'session' ? {id: vault.via.sessionId, expiresAt: vault.via.expiresAt, ...(vault.via.scope ? {scope: vault.via.scope} : {})} : null,
    counts: {
      secrets: body.secrets.length,
      assets: body.assets.length,
      activeGrants: body.grants.filter(active).length,
      activeSessions: body.sessions.filter((session) => !session.revoked && Date.parse(session.expiresAt) > t).length,
      userProviders: body.providers.length,
      killedProviders: body.killedProviders.length,
    },
    audit: body.auditAnchor ? {seq: body.auditAnchor.seq, head: body.auditAnchor.head.slice(0, 16)} : null,
    ...(liveRuns ? {liveRuns: liveRuns.map((run) => ({
      asset: run.asset, ...(run.command ? {command: run.command} : {}), ...(run.mode ? {mode: run.mode} : {}),
      capabilities: run.capabilities, pid: run.wrapperPid, childPid: run.childPid, started: run.started,
    }))} : {}),
    steps: [
      ...base.steps,
      {step: 'authentication', ok: true, detail: authDetail(vault)},
      {step: 'integrity', ok: true, detail: 'header MAC, body AEAD and schema verified'},
      {step: 'health', ok: true, detail: `audit anchor at record ${body.auditAnchor?.seq ?? '-'} consistent; clock sane`},
    ],
  }
}
