/**
 * Evidence: why we think an app uses a provider, with file:line for every item.
 *
 * Strength:
 * - strong: the SDK is used in code (import, constructor, env reference of the provider's env name);
 * - medium: declared but not shown used (manifest dependency; env names in .env.example, compose,
 *   workflow, shell files; a model id routed through an aggregator);
 * - weak: prose (README/docs) and comments, or a model id with no aggregator in sight.
 *
 * References to a provider's `publicEnv` names are weak (detail 'public'): they show the provider
 * is used but need no secret. Env references to names no provider lists are still reported, with provider null, so that an
 * app's own variables show up; in shell and YAML files only credential-looking names are kept
 * (`$HOME`, `$PATH` and friends would drown the report).
 */
import path from 'node:path'
import type {Provider} from '../secrets/providers/schema.js'
import {CodeRegions} from './code-regions.js'
import {CODE_ENV, GO_IMPORT, JS_IMPORT, matchAnchored, MODEL_ID, PHP_USE, PY_IMPORT, RB_REQUIRE, RS_USE} from './anchors.js'
import type {KeywordHit} from './keyword-scanner.js'
import {LONG_LINE, type LineIndex} from './lines.js'
import {constructorEnv, jsModuleEnv, pyModuleEnv} from './sdk-env.js'
import {goPathProviders, jsModuleProviders, pyModuleProviders, type Signatures} from './signatures.js'

export type EvidenceKind = 'manifest-dependency' | 'import' | 'sdk-constructor' | 'env-reference' | 'model-id' | 'mention'
export type Strength = 'strong' | 'medium' | 'weak'

export interface Evidence {
  /** posix path relative to the scan root */
  file: string
  /** 1-based */
  line: number
  kind: EvidenceKind
  /** provider id, or null for an env name no provider claims (or a model id with no aggregator) */
  provider: string | null
  strength: Strength
  /** the package, module, constructor, model id or keyword that matched */
  detail?: string
  /** the env var the evidence implies */
  env?: string
}

/**
 * An Evidence with `detail` and `env` only when given, each shape built by one literal (the keys
 * in the same order as ever): properties added afterwards would live out of the object, ~30 more
 * bytes a finding, and findings are what a scan's memory grows with.
 */
export function makeEvidence(file: string, line: number, kind: EvidenceKind, provider: string | null, strength: Strength, detail?: string, env?: string): Evidence {
  if (detail === undefined) return env === undefined ? {file, line, kind, provider, strength} : {file, line, kind, provider, strength, env}
  return env === undefined ? {file, line, kind, provider, strength, detail} : {file, line, kind, provider, strength, detail, env}
}

export type FileKind = 'js' | 'py' | 'go' | 'rb' | 'php' | 'rs' | 'shell' | 'env-file' | 'config-yaml' | 'yaml' | 'doc' | 'other'

const EXTENSION_KINDS: Record<string, FileKind> = {
  '.js': 'js', '.jsx': 'js', '.mjs': 'js', '.cjs': 'js', '.ts': 'js', '.tsx': 'js', '.mts': 'js', '.cts': 'js',
  '.vue': 'js', '.svelte': 'js', '.astro': 'js',
  '.py': 'py', '.pyi': 'py',
  '.go': 'go',
  '.rb': 'rb', '.rake': 'rb',
  '.php': 'php',
  '.rs': 'rs',
  '.sh': 'shell', '.bash': 'shell', '.zsh': 'shell', '.envrc': 'shell', '.mk': 'shell',
  '.yml': 'yaml', '.yaml': 'yaml',
  '.md': 'doc', '.mdx': 'doc', '.markdown': 'doc', '.rst': 'doc', '.adoc': 'doc', '.txt': 'doc',
}

/** `.env.example`, `.env.local.example`, `.env.sample`, `.env.template`, `.env.dist`, `example.env`. */
export function isEnvExampleName(name: string): boolean {
  return /^\.env(\.[\w-]+)*\.(example|sample|template|dist|defaults)$/i.test(name) || /^(example|sample|template)\.env$/i.test(name)
}

/** Whether a file name starts or ends with .env (any case): the env-file names above need one or the other. */
function mayBeEnvName(name: string): boolean {
  const n = name.length
  if (n < 4) return false
  const at = (i: number): boolean =>
    name.charCodeAt(i) === 46 && (name.charCodeAt(i + 1) | 32) === 101 && (name.charCodeAt(i + 2) | 32) === 110 && (name.charCodeAt(i + 3) | 32) === 118
  return at(0) || at(n - 4)
}

export function classifyFile(rel: string): FileKind {
  const name = path.posix.basename(rel)
  if (mayBeEnvName(name) && (isEnvExampleName(name) || /^\.env(\.[\w-]+)?$/.test(name))) return 'env-file'
  if (name === 'Dockerfile' || name.startsWith('Dockerfile.') || name === 'Makefile' || name === 'Procfile') return 'shell'
  if (name === 'Rakefile' || name === 'Gemfile') return 'rb'
  const ext = path.posix.extname(name).toLowerCase()
  const kind = EXTENSION_KINDS[ext] ?? 'other'
  if (kind === 'yaml' && (/^(docker-)?compose([.-][\w-]+)?\.ya?ml$/i.test(name) || rel.includes('.github/workflows/'))) return 'config-yaml'
  if (kind === 'doc' && /^requirements.*\.txt$/i.test(name)) return 'other'
  return kind
}

const COMMENT_PREFIXES: Record<FileKind, string[]> = {
  js: ['//', '/*', '*', '<!--'], go: ['//', '/*', '*'], rs: ['//', '/*', '*'], php: ['//', '/*', '*', '#'],
  py: ['#', '"""', "'''"], rb: ['#', '=begin'], shell: ['#'], 'env-file': ['#'], 'config-yaml': ['#'], yaml: ['#'],
  doc: [], other: [],
}

const SECRET_LIKE_ENV = /KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|DSN|DATABASE_URL/

// Env reads in code, imports and model ids: see anchors.ts, which runs those regexes only where
// they can match.
const SHELL_ENV_REGEX = /\$\{?([A-Z_][A-Z0-9_]*)/g
const DOCKER_ENV_REGEX = /^[ \t]*(?:ENV|ARG)[ \t]+([A-Z_][A-Z0-9_]*)/gm
const YAML_KEY_REGEX = /^[ \t]*(?:-[ \t]*)?([A-Z_][A-Z0-9_]*)[ \t]*(?:[:=]|\r?$)/gm
const YAML_SECRETS_REGEX = /\b(?:secrets|vars)\.([A-Za-z_][A-Za-z0-9_]*)/g
const ENV_FILE_KEY_REGEX = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=/gm

interface FileInput {
  rel: string
  text: string
  lines: LineIndex
  kind: FileKind
  hits: KeywordHit[]
  /** JS/Python string literals and comments, lexed on first use (see inCode) */
  regions?: CodeRegions
}

/**
 * Collects one file's evidence; deduplicated by (line, kind, provider, env), the first pushed
 * wins. Duplicates are dropped after the sort rather than looked up at each push: the sort is
 * stable and orders by exactly that key, so the first pushed of equals comes first, and a string
 * key per item cost more than the rest of the bookkeeping. (A duplicate never changes hasStrong:
 * for a given key the strength is the same.)
 */
class Collector {
  private readonly items: Evidence[] = []

  constructor(private readonly rel: string) {}

  push(line: number, kind: EvidenceKind, provider: string | null, strength: Strength, detail?: string, env?: string): void {
    this.items.push(makeEvidence(this.rel, line, kind, provider, strength, detail, env))
  }

  hasStrong(provider: string): boolean {
    return this.items.some((e) => e.provider === provider && e.strength === 'strong')
  }

  /** The items sorted by compareEvidence, without duplicates. */
  sorted(): Evidence[] {
    const {items} = this
    if (items.length < 2) return items
    items.sort(compareEvidence)
    let kept = 1
    for (let i = 1; i < items.length; i++) {
      if (compareEvidence(items[kept - 1], items[i]) !== 0) items[kept++] = items[i]
    }
    items.length = kept
    return items
  }
}

function isCommentAt(input: FileInput, offset: number): boolean {
  const prefixes = COMMENT_PREFIXES[input.kind]
  if (prefixes.length === 0) return false
  return input.lines.lineStartsWith(offset, prefixes)
}

/**
 * For JS/TS and Python: whether an offset is outside string literals and comments, block comments
 * and docstrings included (the line-prefix test of isCodeAt sees only comment lines).
 */
function inCode(input: FileInput, offset: number): boolean {
  if (input.kind !== 'js' && input.kind !== 'py') return true
  input.regions ??= new CodeRegions(input.text, input.kind)
  return input.regions.isCode(offset)
}

/** An SDK import or constructor written in a string or a comment: it shows the provider is known, not used. */
function textEvidence(out: Collector, line: number, providers: Provider[], detail: string): void {
  for (const p of providers) out.push(line, 'mention', p.id, 'weak', detail)
}

/** Evidence counts only in code lines of a sane length (long lines are minified or generated). */
function isCodeAt(input: FileInput, offset: number): boolean {
  return input.lines.lineLength(offset) <= LONG_LINE && !isCommentAt(input, offset)
}

function envEvidence(out: Collector, sig: Signatures, line: number, name: string, strength: Strength, filterUnknown: boolean): void {
  const providers = sig.byEnv.get(name)
  const publicOf = providers ? undefined : sig.byPublicEnv.get(name)
  if (providers) {
    for (const p of providers) out.push(line, 'env-reference', p.id, strength, undefined, name)
  } else if (publicOf) {
    // A public-by-design value (anon, publishable key) shows the provider is used, not that a secret is needed.
    for (const p of publicOf) out.push(line, 'env-reference', p.id, 'weak', 'public', name)
  } else if (!filterUnknown || SECRET_LIKE_ENV.test(name)) {
    out.push(line, 'env-reference', null, strength, undefined, name)
  }
}

/** `envOf` gives the env name the SDK reads by default when it is not the provider's primary one (sdk-env.ts). */
function importEvidence(out: Collector, line: number, providers: Provider[], detail: string, envOf?: (provider: Provider) => string | undefined): void {
  for (const p of providers) out.push(line, 'import', p.id, 'strong', detail, envOf?.(p))
}

const EXPLICIT_KEY = /api_?key|token|auth|secret|credential/i

/** `Name(` or `new Name (`, not glued to a longer identifier on either side (`AzureOpenAI(`). */
function isConstructorCall(text: string, offset: number, length: number): boolean {
  const before = offset > 0 ? text.charCodeAt(offset - 1) : 32
  if (isIdentChar(before)) return false
  let i = offset + length
  while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++
  return text.charCodeAt(i) === 40 // (
}

function isIdentChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36
}

/*
 * Code evidence, one small function per syntax: only those of the languages met get hot, and each
 * compiles (and recompiles after a deopt) on its own, in every worker thread.
 */

function envReads(input: FileInput, sig: Signatures, out: Collector): void {
  for (const m of matchAnchored(CODE_ENV, input.text)) {
    if (!isCodeAt(input, m.index)) continue
    const name = m[1] ?? m[2] ?? m[3]
    if (name !== undefined) envEvidence(out, sig, input.lines.lineOf(m.index), name, 'strong', false)
    else if (input.kind === 'js') destructuredEnvReads(input, sig, out, m.index)
  }
}

function isBlankChar(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13
}

/**
 * Env names destructured from the env object read whole at `at` (a CODE_ENV match with no name):
 * `const {OPENAI_API_KEY} = process.env`, with renames (`{OPENAI_API_KEY: key}`), defaults
 * (`{X = 'y'}`), quoted keys and rests, over several lines too; each name is reported on its own
 * line. Nested patterns are left alone.
 */
function destructuredEnvReads(input: FileInput, sig: Signatures, out: Collector, at: number): void {
  const {text} = input
  // the object itself, not `myprocess.env` or `x.process.env`
  if (at > 0 && (isIdentChar(text.charCodeAt(at - 1)) || text.charCodeAt(at - 1) === 46)) return
  // `} = ` before it (a plain assignment: not ==, =>, <=, +=...)
  let k = at - 1
  while (k >= 0 && isBlankChar(text.charCodeAt(k))) k--
  if (text.charCodeAt(k) !== 61 || '=!<>+-*/%&|^?:'.includes(text.charAt(k - 1))) return
  k--
  while (k >= 0 && isBlankChar(text.charCodeAt(k))) k--
  if (text.charCodeAt(k) !== 125) return // }
  const open = text.lastIndexOf('{', k)
  if (open === -1 || k - open > 4000 || text.slice(open + 1, k).includes('}')) return
  for (const {name, offset} of patternKeys(text, open + 1, k)) envEvidence(out, sig, input.lines.lineOf(offset), name, 'strong', false)
}

/** Past blanks and comments from `i`, up to `to`. */
function skipBlanksAndComments(text: string, i: number, to: number): number {
  while (i < to) {
    const c = text.charCodeAt(i)
    if (isBlankChar(c)) i++
    else if (c === 47 && text.charCodeAt(i + 1) === 47) i = text.indexOf('\n', i) === -1 ? to : text.indexOf('\n', i)
    else if (c === 47 && text.charCodeAt(i + 1) === 42) i = text.indexOf('*/', i) === -1 ? to : text.indexOf('*/', i) + 2
    else break
  }
  return i
}

/** The keys of an object pattern's body text[from, to): `KEY`, `'KEY'`, each maybe renamed or defaulted. */
function patternKeys(text: string, from: number, to: number): {name: string; offset: number}[] {
  const keys: {name: string; offset: number}[] = []
  let i = from
  while (i < to) {
    i = skipBlanksAndComments(text, i, to)
    if (i >= to) break
    const c = text.charCodeAt(i)
    let name = ''
    let offset = i
    if (c === 39 || c === 34) {
      const close = text.indexOf(text.charAt(i), i + 1)
      if (close === -1 || close >= to) break
      name = text.slice(i + 1, close)
      offset = i + 1
    } else {
      let end = i
      while (end < to && isIdentChar(text.charCodeAt(end))) end++
      name = text.slice(i, end)
    }
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) keys.push({name, offset})
    // on to the next top-level comma, over renames and default values
    let depth = 0
    for (; i < to; i++) {
      const d = text.charCodeAt(i)
      if (d === 39 || d === 34 || d === 96) {
        const close = text.indexOf(text.charAt(i), i + 1)
        i = close === -1 ? to : close
      } else if (d === 40 || d === 91 || d === 123) depth++
      else if (d === 41 || d === 93 || d === 125) depth--
      else if (d === 44 && depth === 0) break
    }
    i++
  }
  return keys
}

/** JS/TS imports; returns whether the Vercel AI SDK ('ai') is imported. */
function jsImports(input: FileInput, sig: Signatures, out: Collector, importOffsets: Set<number>): boolean {
  let aiSdk = false
  for (const m of matchAnchored(JS_IMPORT, input.text)) {
    const spec = m[1]
    // The specifier's offset lets the model-id pass skip 'openai/resources' and the like.
    importOffsets.add(m.index + m[0].length - spec.length - 2)
    if (spec === 'ai') aiSdk = true
    const found = jsModuleProviders(sig, spec)
    if (found.length === 0 || !isCodeAt(input, m.index)) continue
    const line = input.lines.lineOf(m.index)
    const providers = importedProviders(sig, found, jsImportedNames(input.text, m))
    if (inCode(input, m.index)) importEvidence(out, line, providers, spec, (p) => jsModuleEnv(p, spec))
    else textEvidence(out, line, providers, spec)
  }
  return aiSdk
}

/** What an import takes from its module: the module itself (`whole`) and/or names. */
interface Imported {
  /** a default or namespace import, a side-effect or dynamic import, a plain require, or a clause too odd to read */
  whole: boolean
  /** names taken by name (`{AzureOpenAI as A}` -> AzureOpenAI) */
  names: string[]
}

const WHOLE: Imported = {whole: true, names: []}

function jsImportedNames(text: string, m: RegExpExecArray): Imported {
  const word = m[0].charCodeAt(0)
  if (word === 102) {
    // from: the clause between `import`/`export` and here
    const head = Math.max(text.lastIndexOf('import', m.index), text.lastIndexOf('export', m.index))
    if (head === -1 || m.index - head > 4000 || (head > 0 && isIdentChar(text.charCodeAt(head - 1)))) return WHOLE
    const clause = text.slice(head + 6, m.index).replace(/\/\/[^\n]*|\/\*[^]*?\*\//g, ' ')
    if (/[;'"`]/.test(clause)) return WHOLE
    const open = clause.indexOf('{')
    const close = clause.indexOf('}')
    if (open === -1 || close < open) return WHOLE // a default or namespace import, or `export *`
    // a default import beside the named ones takes the module too
    const before = clause.slice(0, open).replace(/\btype\b/, '').replace(/,\s*$/, '').trim()
    return {whole: before !== '', names: clause.slice(open + 1, close).split(',').map((n) => n.trim().replace(/^type\s+/, '').split(/\s/)[0]).filter(Boolean)}
  }
  if (word !== 114) return WHOLE // import 'x' / import('x')
  // require: `const {A, B: b} = require('x')`
  let k = m.index - 1
  while (k >= 0 && isBlankChar(text.charCodeAt(k))) k--
  if (text.charCodeAt(k) !== 61) return WHOLE
  k--
  while (k >= 0 && isBlankChar(text.charCodeAt(k))) k--
  if (text.charCodeAt(k) !== 125) return WHOLE
  const open = text.lastIndexOf('{', k)
  if (open === -1 || k - open > 2000) return WHOLE
  return {whole: false, names: text.slice(open + 1, k).split(',').map((n) => n.trim().split(/[\s:]/)[0]).filter(Boolean)}
}

/**
 * Which providers an import is evidence for. A module's providers, unless the names it takes are
 * all SDK classes of other providers: `import {AzureOpenAI} from 'openai'` uses Azure OpenAI, and
 * `from anthropic import AnthropicBedrock` uses AWS credentials, not an OpenAI or Anthropic key.
 * Names that are no one's SDK class (types, helpers) are neutral; one of the module's own
 * (`{OpenAI, AzureOpenAI}`) keeps it, with the others added.
 */
function importedProviders(sig: Signatures, module: Provider[], {whole, names}: Imported): Provider[] {
  if (names.length === 0) return module
  let own = whole
  const others: Provider[] = []
  for (const name of names) {
    const owners = sig.byConstructor.get(name)
    if (!owners) continue
    if (owners.some((p) => module.includes(p))) own = true
    else for (const p of owners) if (!others.includes(p)) others.push(p)
  }
  if (others.length === 0) return module
  return own ? [...module, ...others] : others
}

function pyImports(input: FileInput, sig: Signatures, out: Collector): void {
  for (const m of matchAnchored(PY_IMPORT, input.text)) {
    if (input.lines.lineLength(m.index) > LONG_LINE) continue
    const line = input.lines.lineOf(m.index)
    // `from m import (a, b)`: the list may span lines and hold comments
    const names = m[1] ? (m[2] ?? m[3]).replace(/#[^\n]*/g, '').replace(/[()]/g, '').split(',').map((n) => n.trim().split(/\s+/)[0]).filter(Boolean) : undefined
    const modules = names ? [m[1], ...names.map((n) => `${m[1]}.${n}`)] : m[4].split(',').map((n) => n.trim().split(/\s+/)[0])
    // Each provider once, with the first module that named it (`from openai import X` -> 'openai').
    const found = new Map<Provider, string>()
    for (const module of modules) {
      if (module) for (const p of pyModuleProviders(sig, module)) if (!found.has(p)) found.set(p, module)
    }
    if (found.size === 0) continue
    const providers = importedProviders(sig, [...found.keys()], names ? {whole: false, names} : WHOLE)
    // a docstring's `from anthropic import Anthropic` is an example, not an import
    const code = inCode(input, m.index)
    for (const p of providers) {
      const module = found.get(p) ?? m[1]
      if (code) importEvidence(out, line, [p], module, (q) => pyModuleEnv(q, module))
      else textEvidence(out, line, [p], module)
    }
  }
}

function goImports(input: FileInput, sig: Signatures, out: Collector): void {
  for (const m of matchAnchored(GO_IMPORT, input.text)) {
    const specs = m[2] ? [{spec: m[2], offset: m.index}] : [...m[1].matchAll(/"([^"\n]+)"/g)].map((s) => ({spec: s[1], offset: m.index + m[0].indexOf(s[0])}))
    for (const {spec, offset} of specs) importEvidence(out, input.lines.lineOf(offset), goPathProviders(sig, spec), spec)
  }
}

function rbRequires(input: FileInput, sig: Signatures, out: Collector): void {
  for (const m of matchAnchored(RB_REQUIRE, input.text)) importEvidence(out, input.lines.lineOf(m.index), sig.byOtherImport.get(m[1]) ?? [], m[1])
}

function phpUses(input: FileInput, sig: Signatures, out: Collector): void {
  for (const m of matchAnchored(PHP_USE, input.text)) {
    const parts = m[1].split('\\')
    for (let n = parts.length; n > 0; n--) {
      const providers = sig.byOtherImport.get(parts.slice(0, n).join('\\'))
      if (providers) {
        importEvidence(out, input.lines.lineOf(m.index), providers, m[1])
        break
      }
    }
  }
}

function rsUses(input: FileInput, sig: Signatures, out: Collector): void {
  for (const m of matchAnchored(RS_USE, input.text)) importEvidence(out, input.lines.lineOf(m.index), sig.byOtherImport.get(m[1]) ?? [], m[1])
}

function constructorCalls(input: FileInput, sig: Signatures, out: Collector): void {
  const {text} = input
  const language = input.kind === 'js' || input.kind === 'py' ? input.kind : 'other'
  for (const hit of input.hits) {
    const targets = sig.byKeyword.get(hit.keyword)
    if (!targets || targets.constructors.length === 0) continue
    for (const {name, providers} of targets.constructors) {
      if (!text.startsWith(name, hit.offset) || !isConstructorCall(text, hit.offset, name.length) || !isCodeAt(input, hit.offset)) continue
      if (!inCode(input, hit.offset)) {
        textEvidence(out, input.lines.lineOf(hit.offset), providers, name)
        continue
      }
      // An explicit key argument means the SDK does not read its default variable; the env
      // reference inside the argument (if any) is evidence on its own.
      const open = text.indexOf('(', hit.offset + name.length)
      const args = text.slice(open + 1, open + 300).split(/\)\s*[;\n]/)[0]
      const explicit = EXPLICIT_KEY.test(args)
      for (const p of providers) {
        out.push(input.lines.lineOf(hit.offset), 'sdk-constructor', p.id, 'strong', explicit ? `${name} (explicit key)` : name, explicit ? undefined : constructorEnv(p, name, language))
      }
    }
  }
}

function codeEvidence(input: FileInput, sig: Signatures, out: Collector): {importOffsets: Set<number>; aiSdk: boolean} {
  const importOffsets = new Set<number>()
  let aiSdk = false
  envReads(input, sig, out)
  switch (input.kind) {
    case 'js':
      aiSdk = jsImports(input, sig, out, importOffsets)
      break
    case 'py':
      pyImports(input, sig, out)
      break
    case 'go':
      goImports(input, sig, out)
      break
    case 'rb':
      rbRequires(input, sig, out)
      break
    case 'php':
      phpUses(input, sig, out)
      break
    case 'rs':
      rsUses(input, sig, out)
      break
    default:
      break
  }
  constructorCalls(input, sig, out)
  return {importOffsets, aiSdk}
}

/** Model ids ("anthropic/claude-...") count for the aggregator used in the same file, never the vendor. */
function modelIdEvidence(input: FileInput, sig: Signatures, out: Collector, importOffsets: Set<number>, aiSdk: boolean): void {
  if (sig.modelVendors.size === 0) return
  // The aggregators in sight, looked for at the first vendor model id only: most files have none,
  // and each host is a search of the whole text. Nothing strong is added meanwhile.
  let context: Set<Provider> | undefined
  for (const m of matchAnchored(MODEL_ID, input.text)) {
    if (!sig.modelVendors.has(m[1]) || importOffsets.has(m.index) || !isCodeAt(input, m.index)) continue
    context ??= aggregatorContext(input, sig, out, aiSdk)
    const line = input.lines.lineOf(m.index)
    const detail = `${m[1]}/${m[2]}`
    if (context.size === 0) out.push(line, 'model-id', null, 'weak', detail)
    for (const agg of context) out.push(line, 'model-id', agg.id, 'medium', detail)
  }
}

function aggregatorContext(input: FileInput, sig: Signatures, out: Collector, aiSdk: boolean): Set<Provider> {
  const context = new Set<Provider>()
  for (const agg of sig.aggregators) {
    if (out.hasStrong(agg.id)) context.add(agg)
    for (const host of sig.aggregatorHosts.get(agg) ?? []) if (input.text.includes(host)) context.add(agg)
  }
  if (aiSdk && sig.gatewayForAiSdk) context.add(sig.gatewayForAiSdk)
  return context
}

function configEvidence(input: FileInput, sig: Signatures, out: Collector): void {
  const {text, kind} = input
  const regexes: {regex: RegExp; filter: boolean}[] = []
  if (kind === 'env-file') regexes.push({regex: ENV_FILE_KEY_REGEX, filter: false})
  if (kind === 'config-yaml') regexes.push({regex: YAML_KEY_REGEX, filter: false}, {regex: YAML_SECRETS_REGEX, filter: false})
  if (kind === 'config-yaml' || kind === 'yaml' || kind === 'shell') regexes.push({regex: SHELL_ENV_REGEX, filter: true})
  if (kind === 'shell') regexes.push({regex: DOCKER_ENV_REGEX, filter: true})
  for (const {regex, filter} of regexes) {
    for (const m of text.matchAll(regex)) {
      if (!isCodeAt(input, m.index)) continue
      envEvidence(out, sig, input.lines.lineOf(m.index), m[1], 'medium', filter)
    }
  }
}

/** Mentions: keyword hits in docs and in comments; one per provider per file (the first). */
function mentionEvidence(input: FileInput, sig: Signatures, out: Collector): void {
  const mentioned = new Set<string>()
  const prose = input.kind === 'doc'
  for (const hit of input.hits) {
    const targets = sig.byKeyword.get(hit.keyword)
    if (!targets || targets.mentions.length === 0) continue
    const before = hit.offset > 0 ? input.text.charCodeAt(hit.offset - 1) : 32
    // A keyword glued to a preceding letter or digit ("azureopenai") is a different word.
    if ((before >= 48 && before <= 57) || (before >= 65 && before <= 90) || (before >= 97 && before <= 122)) continue
    if (!prose && !isCommentAt(input, hit.offset)) continue
    for (const p of targets.mentions) {
      if (mentioned.has(p.id)) continue
      mentioned.add(p.id)
      out.push(input.lines.lineOf(hit.offset), 'mention', p.id, 'weak', hit.keyword)
    }
  }
}

/** All non-manifest evidence of one text file, sorted by line. */
export function extractEvidence(input: FileInput, sig: Signatures): Evidence[] {
  const out = new Collector(input.rel)
  switch (input.kind) {
    case 'js': case 'py': case 'go': case 'rb': case 'php': case 'rs': {
      const {importOffsets, aiSdk} = codeEvidence(input, sig, out)
      modelIdEvidence(input, sig, out, importOffsets, aiSdk)
      break
    }
    case 'shell': case 'env-file': case 'config-yaml': case 'yaml':
      configEvidence(input, sig, out)
      break
    default:
      break
  }
  if (input.kind !== 'other' && input.kind !== 'env-file') mentionEvidence(input, sig, out)
  return out.sorted()
}

export function compareEvidence(a: Evidence, b: Evidence): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1
  if (a.line !== b.line) return a.line - b.line
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1
  const pa = a.provider ?? ''
  const pb = b.provider ?? ''
  if (pa !== pb) return pa < pb ? -1 : 1
  const ea = a.env ?? ''
  const eb = b.env ?? ''
  return ea < eb ? -1 : ea > eb ? 1 : 0
}
