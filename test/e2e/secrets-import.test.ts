/**
 * `secret import` end to end (built binary): a 200-variable .env with 30 provider keys (every
 * style: export, quotes, inline comments; multi-line values among the rest). 30 are stored, 170
 * are named as unrecognised without their values, and --scrub leaves a file that still parses,
 * with the 170 intact, none of the 30 values, and the same file mode.
 */
import {spawnSync} from 'node:child_process'
import {chmodSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {parseDotenvFile} from '../../src/secrets/dotenv.js'
import {loadCatalog} from '../../src/secrets/providers/catalog.js'
import {compileFormat, formatsForEnv} from '../../src/secrets/providers/formats.js'
import {sampleFor} from '../secrets/sample-key.js'
import {
  type CliHome, type CliResult, assertNoCanary, explain, hasStackTrace, initVault, makeHome, randomCanary, runCli, unlock,
} from '../helpers/cli.js'

interface Target {key: string; provider: string; value: string}

const BROWSER_PREFIXES = ['NEXT_PUBLIC_', 'VITE_', 'PUBLIC_', 'EXPO_PUBLIC_', 'REACT_APP_', 'NUXT_PUBLIC_', 'GATSBY_']

/**
 * `count` distinct provider env names from the built-in catalog, round-robin over providers, each
 * with a value its format accepts (a random canary for providers without a format).
 */
function providerTargets(count: number): Target[] {
  const catalog = loadCatalog([])
  const perProvider = catalog.providers.filter((provider) => !provider.credentialFile).map((provider) => provider.env
    .filter((env) => catalog.byEnv(env)[0]?.id === provider.id && !BROWSER_PREFIXES.some((prefix) => env.startsWith(prefix)))
    .map((env): Target => {
      const formats = formatsForEnv(provider, env)
      if (formats.length === 0) return {key: env, provider: provider.id, value: randomCanary()}
      const format = formats.find((f) => !f.shared) ?? formats[0]
      const value = provider.id === 'postgres' ? `postgres://app:${randomCanary()}@db.internal:5432/app` : sampleFor(format.pattern)
      if (!compileFormat(format).test(value)) throw new Error(`sample for ${format.id} does not match its own format`)
      return {key: env, provider: provider.id, value}
    }))
  const out: Target[] = []
  for (let round = 0; out.length < count; round++) {
    const before = out.length
    for (const list of perProvider) if (round < list.length && out.length < count) out.push(list[round])
    if (out.length === before) throw new Error(`the catalog has only ${out.length} importable env names`)
  }
  return out
}

/** Writes `KEY=value` in one of several styles that all parse to `value`. */
function knownLine(target: Target, i: number): string {
  const {key, value} = target
  switch (i % 5) {
    case 0: return `export ${key}=${value}`
    case 1: return `${key}="${value}"`
    case 2: return `${key}='${value}' # ${target.provider}, production`
    case 3: return `  ${key} = ${value}   # inline comment`
    default: return `export ${key}=\`${value}\``
  }
}

/** Other settings: plain, quoted, escaped, inline comments, multi-line. */
function otherLine(key: string, i: number): {text: string; value: string} {
  const tag = randomCanary().slice(0, 16)
  switch (i % 6) {
    case 0: return {text: `${key}=plain_${tag}`, value: `plain_${tag}`}
    case 1: return {text: `export ${key}='single # not a comment ${tag}'`, value: `single # not a comment ${tag}`}
    case 2: return {text: `${key}="double \\"quoted\\" ${tag}"`, value: `double "quoted" ${tag}`}
    case 3: return {text: `${key} = spaced_${tag} # trailing comment`, value: `spaced_${tag}`}
    case 4: return {text: `${key}="first line ${tag}\nsecond line\n  third, indented"`, value: `first line ${tag}\nsecond line\n  third, indented`}
    default: return {text: `${key}='-----BEGIN CONFIG-----\n${tag}\n-----END CONFIG-----'`, value: `-----BEGIN CONFIG-----\n${tag}\n-----END CONFIG-----`}
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : []
  })
}

describe('secret import end to end', function () {
  this.timeout(300_000)
  let home: CliHome

  before(() => {
    home = makeHome('cv-e2e-import-')
  })

  after(() => home.cleanup())

  it('200 variables: 30 provider keys stored, 170 named only; --scrub keeps the rest byte-identical in value and the mode', async () => {
    const targets = providerTargets(30)
    expect(new Set(targets.map((t) => t.key)).size).to.equal(30)
    const others = Array.from({length: 170}, (_, i) => ({key: `APP_SETTING_${String(i).padStart(3, '0')}`, ...otherLine(`APP_SETTING_${String(i).padStart(3, '0')}`, i)}))
    const catalog = loadCatalog([])
    for (const other of others) expect(catalog.byEnv(other.key)).to.deep.equal([])

    // interleave: a known key every ~7 lines, comments and blank lines between
    const lines: string[] = ['# generated by the import test', '']
    let k = 0
    others.forEach((other, i) => {
      lines.push(other.text)
      if (i % 6 === 5 && k < targets.length) {
        lines.push(`# ${targets[k].provider}`, knownLine(targets[k], k))
        k++
      }
      if (i % 20 === 19) lines.push('', `# --- section ${i} ---`)
    })
    while (k < targets.length) lines.push(knownLine(targets[k], k++))
    const original = `${lines.join('\n')}\n`
    const parsed = parseDotenvFile(original)
    expect(parsed.errors).to.deep.equal([])
    expect(parsed.entries).to.have.length(200)
    for (const target of targets) expect(parsed.entries.find((e) => e.key === target.key)!.value, target.key).to.equal(target.value)
    for (const other of others) expect(parsed.entries.find((e) => e.key === other.key)!.value, other.key).to.equal(other.value)

    const file = join(home.dir, 'app', '.env')
    mkdirSync(join(home.dir, 'app'))
    writeFileSync(file, original)
    chmodSync(file, 0o640)
    const secrets = targets.map((t) => t.value)

    const passphrase = await initVault(home)
    const token = await unlock(home, passphrase)
    const cv = async (args: string[], debug = false): Promise<CliResult> => {
      const result = await runCli(args, {home, timeoutMs: 120_000, env: {CODEX_VAULT_SESSION: token, ...(debug ? {DEBUG: '*'} : {})}})
      expect(result.timedOut, explain(result)).to.equal(false)
      if (!debug) expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
      assertNoCanary(result.stdout + result.stderr, secrets, `${args.join(' ')} output`)
      return result
    }

    // 1. import without --scrub, human output
    const first = await cv(['secret', 'import', file], true)
    expect(first.code, explain(first)).to.equal(0)
    const importedLines = first.stdout.split('\n').filter((line) => line.startsWith('imported '))
    expect(importedLines, first.stdout).to.have.length(30)
    for (const target of targets) {
      expect(first.stdout).to.match(new RegExp(`imported {2}${target.key} \\(line \\d+\\) -> ${target.provider} ${target.key}, fingerprint fp:[0-9a-f]{32}`))
    }
    const unrecognisedLine = first.stdout.split('\n').find((line) => line.startsWith('not recognised (left in the file): '))!
    expect(unrecognisedLine.slice('not recognised (left in the file): '.length).split(', ').sort()).to.deep.equal(others.map((o) => o.key))
    expect(first.stdout).to.include('30 imported, 0 already stored, 0 rejected, 170 not recognised')
    for (const other of others) expect(first.stdout + first.stderr, other.key).not.to.include(other.value.split('\n')[0])
    expect(readFileSync(file, 'utf8')).to.equal(original)

    const list = await cv(['secret', 'list', '--json'])
    const stored = JSON.parse(list.stdout).result.secrets
    expect(stored.map((s: any) => `${s.provider}/${s.env}`).sort()).to.deep.equal(targets.map((t) => `${t.provider}/${t.key}`).sort())
    for (const s of stored) expect(s).to.include({version: 1}).and.not.have.property('value')

    // 2. again with --scrub: all 30 already stored with the same value, so they leave the file
    const second = await cv(['secret', 'import', file, '--scrub', '--json'])
    expect(second.code, explain(second)).to.equal(0)
    const result = JSON.parse(second.stdout).result
    expect(result.imported).to.deep.equal([])
    expect(result.alreadyStored).to.have.length(30)
    for (const item of result.alreadyStored) expect(item.sameValue, item.key).to.equal(true)
    expect(result.unrecognised.map((u: any) => u.key).sort()).to.deep.equal(others.map((o) => o.key))
    expect(result.public).to.deep.equal([])
    expect(result.rejected).to.deep.equal([])
    expect(result.parseErrors).to.deep.equal([])
    expect([...result.scrubbed].sort()).to.deep.equal(targets.map((t) => t.key).sort())
    for (const other of others) expect(second.stdout, other.key).not.to.include(JSON.stringify(other.value).slice(1, -1).split('\\n')[0])

    const scrubbed = readFileSync(file, 'utf8')
    expect(statSync(file).mode & 0o777).to.equal(0o640)
    assertNoCanary(scrubbed, secrets, 'the scrubbed .env')
    const reparsed = parseDotenvFile(scrubbed)
    expect(reparsed.errors).to.deep.equal([])
    expect(reparsed.entries.map((e) => e.key)).to.deep.equal(others.map((o) => o.key))
    for (const other of others) expect(reparsed.entries.find((e) => e.key === other.key)!.value, other.key).to.equal(other.value)
    for (const target of targets) expect(scrubbed).to.include(`# ${target.key} moved to codex-vault`)
    // every line that was not a provider key is still there, in order
    const kept = original.split('\n').filter((line) => !targets.some((t) => line.includes(t.value)))
    expect(scrubbed.split('\n').filter((line) => !/ moved to codex-vault$/.test(line))).to.deep.equal(kept)

    // 3. nothing anywhere: vault, audit log, session files, temp files, the app folder
    const audit = await cv(['audit', 'tail', '--json', '--type', 'secret.import'])
    const records = JSON.parse(audit.stdout).result.records
    expect(records).to.have.length(2)
    expect(records[0].data.imported).to.have.length(30)
    expect(records[0].data.unrecognised).to.equal(170)
    for (const path of filesUnder(home.dir)) assertNoCanary(readFileSync(path), secrets, path)
  })
})

/**
 * Make `path` refuse new entries (a folder) or replacement (a file) for real: chmod for a normal
 * user, the immutable flag for root (whom modes do not stop). Returns the undo, or null when
 * neither is possible here.
 */
function lockDown(path: string): (() => void) | null {
  if (process.getuid?.() !== 0) {
    const mode = statSync(path).mode & 0o7777
    chmodSync(path, statSync(path).isDirectory() ? 0o555 : 0o444)
    // a file's own mode does not stop a rename over it: only a folder can be locked this way
    return statSync(path).isDirectory() ? () => chmodSync(path, mode) : (chmodSync(path, mode), null)
  }
  if (spawnSync('chattr', ['+i', path]).status !== 0) return null
  return () => {
    spawnSync('chattr', ['-i', path])
  }
}

describe('secret import end to end: refusals and conflicts', function () {
  this.timeout(120_000)
  let home: CliHome
  let token: string
  const secrets: string[] = []

  before(async () => {
    home = makeHome('cv-e2e-import-refuse-')
    token = await unlock(home, await initVault(home))
  })
  after(() => home.cleanup())

  const cv = async (args: string[]): Promise<CliResult> => {
    const result = await runCli(args, {home, env: {CODEX_VAULT_SESSION: token}})
    expect(result.timedOut, explain(result)).to.equal(false)
    expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
    assertNoCanary(result.stdout + result.stderr, secrets, `${args.join(' ')} output`)
    return result
  }
  const stored = async () => JSON.parse((await cv(['secret', 'list', '--json'])).stdout).result.secrets.map((s: any) => `${s.provider}/${s.env}`)

  for (const what of ['folder', 'file'] as const) {
    it(`--scrub when the ${what} forbids the rewrite: exit 2 before anything is stored, file unchanged, no internal error`, async function () {
      const dir = join(home.dir, `locked-${what}`)
      mkdirSync(dir)
      const file = join(dir, '.env')
      const value = randomCanary()
      secrets.push(value)
      const text = `MISTRAL_API_KEY=${value}\nPORT=3000\n`
      writeFileSync(file, text)
      const undo = lockDown(what === 'folder' ? dir : file)
      if (!undo) this.skip()
      let result: CliResult
      try {
        result = await cv(['secret', 'import', file, '--scrub', '--json'])
      } finally {
        undo!()
      }
      expect(result.code, explain(result)).to.equal(2)
      const error = JSON.parse(result.stdout).error
      expect(error.code).to.equal('INVALID_INPUT')
      expect(error.message).to.match(/^cannot rewrite .*\.env: permission denied \((EACCES|EPERM)/)
      expect(error.message).to.include('nothing was imported')
      expect(error.suggestions.join('\n')).to.include('without --scrub')
      expect(readFileSync(file, 'utf8')).to.equal(text)
      expect(readdirSync(dir)).to.deep.equal(['.env'])
      expect(await stored()).not.to.include('mistral/MISTRAL_API_KEY')
      const audit = JSON.parse((await cv(['audit', 'tail', '--json', '--type', 'secret'])).stdout).result.records
      expect(audit.filter((r: any) => r.data?.file === file)).to.deep.equal([])
    })
  }

  it('a name with two different values: neither stored, both lines kept, named in text and --json; the summary counts rejected ones', async () => {
    const [a, b, same] = [randomCanary(), randomCanary(), randomCanary()]
    secrets.push(a, b, same)
    const file = join(home.dir, 'conflict.env')
    const text = `CO_API_KEY=${a}\nMISTRAL_API_KEY=${same}\nCO_API_KEY=${b}\nMISTRAL_API_KEY=${same}\nOPENAI_API_KEY=changeme\n`
    writeFileSync(file, text)
    const dry = await cv(['secret', 'import', file, '--json'])
    expect(dry.code, explain(dry)).to.equal(0)
    const result = JSON.parse(dry.stdout).result
    expect(result.conflicts.map((c: any) => [c.key, c.lines])).to.deep.equal([['CO_API_KEY', [1, 3]]])
    expect(result.imported.map((i: any) => i.key)).to.deep.equal(['MISTRAL_API_KEY'])
    const human = await cv(['secret', 'import', file, '--scrub'])
    expect(human.code, explain(human)).to.equal(0)
    expect(human.stdout).to.match(/conflict {2}CO_API_KEY: assigned 2 times with different values \(lines 1, 3\)/)
    expect(human.stdout).to.include('0 imported, 1 already stored, 1 rejected, 1 conflicting, 0 not recognised, 1 scrubbed from')
    expect(await stored()).not.to.include('cohere/CO_API_KEY')
    expect(readFileSync(file, 'utf8')).to.equal(`CO_API_KEY=${a}\n# MISTRAL_API_KEY moved to codex-vault\nCO_API_KEY=${b}\n# MISTRAL_API_KEY moved to codex-vault\nOPENAI_API_KEY=changeme\n`)
  })

  it('a file with no KEY=value line (a pasted bare key) is exit 2 without echoing it; nothing is written', async () => {
    const key = `sk-proj-${randomCanary()}${randomCanary()}`
    secrets.push(key)
    const file = join(home.dir, 'pasted.env')
    writeFileSync(file, `${key}\n`)
    const generation = statSync(home.vault).mtimeMs
    const result = await cv(['secret', 'import', file])
    expect(result.code, explain(result)).to.equal(2)
    expect(result.stderr).to.include('has no KEY=value line').and.include('nothing was imported')
    expect(statSync(home.vault).mtimeMs).to.equal(generation)
  })
})
