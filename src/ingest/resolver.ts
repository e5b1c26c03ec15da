/**
 * resolve: scan evidence -> per app, the capabilities it needs, with confidence and the evidence.
 *
 * - required: strong evidence (import, SDK constructor, or a code env read of the provider's env);
 * - likely: only medium evidence (a declared dependency never imported; an env name only in
 *   .env.example / compose / workflow / shell files; a model id routed through an aggregator);
 * - mentioned: only weak evidence (docs, comments).
 * An app is the nearest folder holding a manifest ('.' otherwise). Each provider contributes its
 * primary capability (the first listed): the catalog does not say which evidence implies which of
 * its other capabilities. Apps with no capability are left out. Evidence whose provider is null
 * (an app's own env names, model ids with no aggregator) never makes a capability: model ids in
 * particular never require the model vendor.
 */
import path from 'node:path'
import type {Provider} from '../secrets/providers/schema.js'
import type {Evidence, EvidenceKind} from './evidence.js'
import {compareLeaks, type Leak} from './leaks.js'
import type {ScanResult} from './scan.js'

export type Confidence = 'required' | 'likely' | 'mentioned'

export interface ResolvedCapability {
  capability: string
  provider: string
  confidence: Confidence
  env: string[]
  evidence: {file: string; line: number; kind: EvidenceKind}[]
}

export interface ResolvedApp {
  /** '.' or the app's folder relative to the scan root (posix) */
  path: string
  name?: string
  capabilities: ResolvedCapability[]
}

export interface ResolveResult {
  apps: ResolvedApp[]
  leaks: Leak[]
}

function appFolders(scan: ScanResult): Map<string, string | undefined> {
  const folders = new Map<string, string | undefined>()
  const manifests = [...scan.manifests].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
  for (const m of manifests) {
    const dir = path.posix.dirname(m.file)
    if (!folders.has(dir) || (folders.get(dir) === undefined && m.name)) folders.set(dir, m.name)
  }
  return folders
}

function appOf(file: string, folders: Map<string, string | undefined>): string {
  let dir = path.posix.dirname(file)
  while (dir !== '.' && !folders.has(dir)) dir = path.posix.dirname(dir)
  return dir
}

/**
 * The npm or Python package an import detail or a dependency name stands for: 'openai/resources',
 * 'openai.types', 'OpenAI' -> 'openai'. Go paths ('github.com/...') are kept whole.
 */
function packageKey(name: string): string {
  if (/^[^/]*\.[^/]*\//.test(name)) return name
  const scoped = name.startsWith('@')
  const end = name.slice(scoped ? name.indexOf('/') + 1 : 0).search(/[/.]/)
  const top = end === -1 ? name : name.slice(0, end + (scoped ? name.indexOf('/') + 1 : 0))
  return top.toLowerCase().replace(/-/g, '_')
}

/**
 * A dependency whose imports in this app all went to other providers (`openai` imported only for
 * its AzureOpenAI class) says nothing more about its own provider: that evidence is explained.
 */
function explainedBy(imports: Map<string, Set<string>>, provider: string, e: Evidence): boolean {
  if (e.kind !== 'manifest-dependency' || e.detail === undefined) return false
  const users = imports.get(packageKey(e.detail))
  return users !== undefined && !users.has(provider)
}

function confidenceOf(items: Evidence[], provider: string, imports: Map<string, Set<string>>): Confidence {
  if (items.some((e) => e.strength === 'strong')) return 'required'
  if (items.some((e) => e.strength === 'medium' && !explainedBy(imports, provider, e))) return 'likely'
  return 'mentioned'
}

export function resolve(scan: ScanResult, providers: Provider[]): ResolveResult {
  const byId = new Map(providers.map((p) => [p.id, p]))
  const folders = appFolders(scan)
  // app path -> provider id -> evidence
  const groups = new Map<string, Map<string, Evidence[]>>()
  for (const e of scan.evidence) {
    if (e.provider === null || !byId.has(e.provider)) continue
    const app = appOf(e.file, folders)
    let perApp = groups.get(app)
    if (!perApp) groups.set(app, (perApp = new Map()))
    let list = perApp.get(e.provider)
    if (!list) perApp.set(e.provider, (list = []))
    list.push(e)
  }
  const apps: ResolvedApp[] = []
  for (const [appPath, perApp] of groups) {
    const capabilities: ResolvedCapability[] = []
    // package -> the providers its imports in this app were evidence for
    const imports = new Map<string, Set<string>>()
    for (const [providerId, items] of perApp) {
      for (const e of items) {
        if (e.kind !== 'import' || e.detail === undefined) continue
        const key = packageKey(e.detail)
        let users = imports.get(key)
        if (!users) imports.set(key, (users = new Set()))
        users.add(providerId)
      }
    }
    for (const [providerId, items] of perApp) {
      const provider = byId.get(providerId)!
      const referenced = new Set(items.map((e) => e.env).filter((env): env is string => env !== undefined))
      const env = provider.env.filter((name) => referenced.has(name))
      const seen = new Set<string>()
      const evidence: ResolvedCapability['evidence'] = []
      for (const e of items) {
        const key = `${e.file}\0${e.line}\0${e.kind}`
        if (seen.has(key)) continue
        seen.add(key)
        evidence.push({file: e.file, line: e.line, kind: e.kind})
      }
      evidence.sort((a, b) => (a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.line !== b.line ? a.line - b.line : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0))
      capabilities.push({
        capability: provider.capabilities[0],
        provider: provider.id,
        confidence: confidenceOf(items, providerId, imports),
        env: env.length > 0 ? env : [provider.env[0]],
        evidence,
      })
    }
    capabilities.sort((a, b) => (a.capability !== b.capability ? (a.capability < b.capability ? -1 : 1) : a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0))
    const name = folders.get(appPath)
    apps.push(name ? {path: appPath, name, capabilities} : {path: appPath, capabilities})
  }
  apps.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return {apps, leaks: [...scan.leaks].sort(compareLeaks)}
}
