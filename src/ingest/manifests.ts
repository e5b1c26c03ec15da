/**
 * Dependency manifests: each one marks an app folder (monorepo attribution) and declares packages.
 * Parsed by hand, line-oriented, because only names and line numbers matter and a malformed
 * manifest must degrade to "no evidence", never fail the scan.
 */
import path from 'node:path'
import type {Provider} from '../secrets/providers/schema.js'
import {makeEvidence, type Evidence} from './evidence.js'
import {jsModuleEnv, pypiEnv} from './sdk-env.js'
import {goPathProviders, normalisePypi, type Signatures} from './signatures.js'

export interface Manifest {
  file: string
  name?: string
}

export interface ManifestResult {
  manifest: Manifest
  evidence: Evidence[]
}

type ManifestType = 'npm' | 'requirements' | 'pyproject' | 'pipfile' | 'gomod' | 'cargo' | 'gemfile' | 'composer'

export function manifestType(rel: string): ManifestType | undefined {
  const name = path.posix.basename(rel)
  switch (name) {
    case 'package.json': return 'npm'
    case 'pyproject.toml': return 'pyproject'
    case 'Pipfile': return 'pipfile'
    case 'go.mod': return 'gomod'
    case 'Cargo.toml': return 'cargo'
    case 'Gemfile': return 'gemfile'
    case 'composer.json': return 'composer'
    default: return /^requirements.*\.txt$/i.test(name) ? 'requirements' : undefined
  }
}

interface Dep {
  name: string
  line: number
}

function lineAt(text: string, offset: number): number {
  let line = 1
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++
  return line
}

function jsonDeps(text: string, sections: string[]): {name?: string; deps: Dep[]} {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return {deps: []}
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return {deps: []}
  const record = data as Record<string, unknown>
  const deps: Dep[] = []
  for (const section of sections) {
    const block = record[section]
    if (!block || typeof block !== 'object' || Array.isArray(block)) continue
    const sectionAt = text.indexOf(`"${section}"`)
    for (const dep of Object.keys(block)) {
      const at = text.indexOf(JSON.stringify(dep), Math.max(sectionAt, 0))
      deps.push({name: dep, line: at === -1 ? 1 : lineAt(text, at)})
    }
  }
  return {name: typeof record.name === 'string' ? record.name : undefined, deps}
}

/** The distribution name at the start of a PEP 508 requirement ("openai[datalib]>=1"). */
function pep508Name(spec: string): string | undefined {
  return /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(spec)?.[1]
}

function stripQuoted(line: string): string {
  return line.replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, '""')
}

function quotedStrings(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)].map((m) => m[1] ?? m[2])
}

/** Line-oriented TOML: [section] headers, `key = value`, and string arrays that may span lines. */
function tomlDeps(text: string, type: 'pyproject' | 'pipfile' | 'cargo'): {name?: string; deps: Dep[]} {
  const deps: Dep[] = []
  let name: string | undefined
  let section = ''
  let inArray = false
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]
    const line = raw.replace(/#.*$/, '')
    if (inArray) {
      for (const s of quotedStrings(line)) {
        const dep = pep508Name(s)
        if (dep) deps.push({name: dep, line: i + 1})
      }
      if (stripQuoted(line).includes(']')) inArray = false
      continue
    }
    const header = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*$/.exec(line)
    if (header) {
      section = header[1].replace(/["']/g, '')
      // `[dependencies.foo]` declares foo as a table.
      const table = /^(?:.*\.)?(?:dependencies|dev-dependencies|build-dependencies)\.([\w.-]+)$/.exec(section)
      if (type === 'cargo' && table) deps.push({name: table[1], line: i + 1})
      continue
    }
    const kv = /^\s*["']?([\w.-]+)["']?\s*=\s*(.*)$/.exec(line)
    if (!kv) continue
    const [, key, value] = kv
    const isNameSection = (type === 'pyproject' && (section === 'project' || section === 'tool.poetry')) || (type === 'cargo' && section === 'package')
    if (isNameSection && key === 'name') {
      name = quotedStrings(value)[0] ?? name
      continue
    }
    const arraySection = type === 'pyproject' && ((section === 'project' && key === 'dependencies') || section === 'project.optional-dependencies' || section === 'dependency-groups')
    if (arraySection && value.trimStart().startsWith('[')) {
      for (const s of quotedStrings(value)) {
        const dep = pep508Name(s)
        if (dep) deps.push({name: dep, line: i + 1})
      }
      inArray = !stripQuoted(value).includes(']')
      continue
    }
    const keySection =
      (type === 'pyproject' && /^tool\.poetry\.(?:dependencies|dev-dependencies|group\.[\w-]+\.dependencies)$/.test(section)) ||
      (type === 'pipfile' && (section === 'packages' || section === 'dev-packages')) ||
      (type === 'cargo' && /(?:^|\.)(?:dependencies|dev-dependencies|build-dependencies)$/.test(section))
    if (keySection && key !== 'python') deps.push({name: key, line: i + 1})
  }
  return {name, deps}
}

function goModDeps(text: string): {name?: string; deps: Dep[]} {
  const deps: Dep[] = []
  let name: string | undefined
  let inBlock = false
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\/\/.*$/, '').trim()
    if (inBlock) {
      if (line.startsWith(')')) inBlock = false
      else if (line) deps.push({name: line.split(/\s+/)[0], line: i + 1})
      continue
    }
    const module = /^module\s+(\S+)/.exec(line)
    if (module) name = module[1]
    if (/^require\s*\($/.test(line)) inBlock = true
    const single = /^require\s+([^\s(]+)/.exec(line)
    if (single) deps.push({name: single[1], line: i + 1})
  }
  return {name, deps}
}

function lineDeps(text: string, regex: RegExp): Dep[] {
  const deps: Dep[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = regex.exec(lines[i])
    if (m) deps.push({name: m[1], line: i + 1})
  }
  return deps
}

function lookup(sig: Signatures, type: ManifestType, dep: string): Provider[] {
  switch (type) {
    case 'npm': return sig.byNpm.get(dep) ?? []
    case 'requirements': case 'pyproject': case 'pipfile': return sig.byPypi.get(normalisePypi(dep)) ?? []
    case 'gomod': return goPathProviders(sig, dep)
    case 'cargo': return sig.byCargo.get(dep) ?? []
    case 'gemfile': return sig.byGem.get(dep) ?? []
    case 'composer': return sig.byComposer.get(dep.toLowerCase()) ?? []
  }
}

/** Parses a manifest (already known to be one by manifestType) into its app name and dependency evidence. */
export function parseManifest(rel: string, text: string, sig: Signatures): ManifestResult | undefined {
  const type = manifestType(rel)
  if (!type) return undefined
  let parsed: {name?: string; deps: Dep[]}
  switch (type) {
    case 'npm':
      parsed = jsonDeps(text, ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'])
      break
    case 'composer':
      parsed = jsonDeps(text, ['require', 'require-dev'])
      break
    case 'requirements':
      parsed = {deps: lineDeps(text, /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/)}
      break
    case 'gemfile':
      parsed = {deps: lineDeps(text, /^\s*gem\s+['"]([^'"]+)['"]/)}
      break
    case 'gomod':
      parsed = goModDeps(text)
      break
    default:
      parsed = tomlDeps(text, type)
  }
  const evidence: Evidence[] = []
  const seen = new Set<string>()
  for (const dep of parsed.deps) {
    for (const p of lookup(sig, type, dep.name)) {
      const key = `${dep.line}\0${p.id}`
      if (seen.has(key)) continue
      seen.add(key)
      const env = type === 'npm' ? jsModuleEnv(p, dep.name) : type === 'requirements' || type === 'pyproject' || type === 'pipfile' ? pypiEnv(p, dep.name) : undefined
      evidence.push(makeEvidence(rel, dep.line, 'manifest-dependency', p.id, 'medium', dep.name, env))
    }
  }
  const manifest: Manifest = {file: rel}
  if (parsed.name) manifest.name = parsed.name
  return {manifest, evidence}
}
