/** In-memory vault bodies and a stand-in for an open vault: registry logic without a vault file or KDF. */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import type {AuditEvent} from '../../src/audit/events.js'
import type {AuthenticatedVault} from '../../src/cli/context.js'
import {loadCatalog} from '../../src/secrets/providers/catalog.js'
import type {AssetRecord, GrantRecord, VaultBody} from '../../src/secrets/vault-schema.js'

export const T0 = new Date('2026-03-01T12:00:00.000Z')

export function body(parts: Partial<VaultBody> = {}): VaultBody {
  return {
    v: 1, generation: 1, lastSeen: T0.toISOString(), sessions: [], secrets: [], providers: [], killedProviders: [], assets: [], grants: [],
    auditAnchor: null, auditKey: {nonce: 'bm9uY2U', ct: 'Y3Q'}, ...parts,
  }
}

export function asset(name: string, capabilities: {capability: string; provider: string; confidence?: 'required' | 'likely' | 'mentioned'}[] = [],
  extra: Partial<AssetRecord> = {}): AssetRecord {
  return {
    name, path: `/apps/${name}`, identity: {fingerprint: '00'.repeat(16)}, owner: 'founder', enabled: true, created: T0.toISOString(), updated: T0.toISOString(),
    capabilities: capabilities.map((item) => ({capability: item.capability, provider: item.provider, confidence: item.confidence ?? 'required', env: [], evidence: []})),
    overrides: {include: [], exclude: []}, ...extra,
  }
}

export function grant(assetName: string, capability: string): GrantRecord {
  return {
    id: `g_${assetName}_${capability}`, asset: assetName, capability, approved: T0.toISOString(), notBefore: T0.toISOString(),
    expires: new Date(T0.getTime() + 3_600_000).toISOString(), usesLeft: null, revoked: null,
  }
}

export interface FakeVault {
  vault: AuthenticatedVault
  body: VaultBody
  events: AuditEvent[]
}

/**
 * Just enough of an open vault for the registry: the body, the catalog, and a transact
 * that applies the mutation to a copy and commits it only when it does not throw (like the real one).
 */
export function fakeVault(state: VaultBody = body()): FakeVault {
  const fake: FakeVault = {body: state, events: [], vault: undefined as unknown as AuthenticatedVault}
  fake.vault = {
    get body() {
      return fake.body
    },
    // like the real vault: built-ins plus the body's user providers, as they are now
    catalog: async () => loadCatalog(fake.body.providers),
    transact: async (mutate: (b: VaultBody) => unknown) => {
      const draft = structuredClone(fake.body)
      const outcome = await mutate(draft) as {result: unknown; events: FakeVault['events']}
      fake.body = draft
      fake.events.push(...outcome.events)
      return outcome.result
    },
  } as unknown as AuthenticatedVault
  return fake
}

export function tempTree(files: Record<string, string>): {dir: string; write(files: Record<string, string>): void; cleanup(): void} {
  const dir = mkdtempSync(join(tmpdir(), 'cv-registry-'))
  const write = (more: Record<string, string>) => {
    for (const [rel, content] of Object.entries(more)) {
      mkdirSync(dirname(join(dir, rel)), {recursive: true})
      writeFileSync(join(dir, rel), content)
    }
  }
  write(files)
  return {dir, write, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}
