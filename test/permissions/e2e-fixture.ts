/**
 * A vault set up for run/grant/kill end-to-end tests, built once per mocha process and copied for
 * each suite (a KDF, two binds and two `secret set`s cost seconds each; a copy costs milliseconds).
 *
 *   asset shop  <- app using `openai`           secret openai    (format-valid canary)
 *   asset other <- app using `@anthropic-ai/sdk` secret anthropic (format-valid canary), granted
 *   secret mistral: a canary with characters that change under URL and JSON escaping
 *
 * Every clone shares the session token (the session file is copied with the home) and has its own
 * vault, audit log and runtime folder. `grantShop` approves ai.openai.inference for shop.
 */
import {randomBytes} from 'node:crypto'
import {cpSync, existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {
  type CliHome, type CliOptions, type CliResult, explain, initVault, makeHome, randomCanary, runCli, sleep, spawnCli, unlock,
} from '../helpers/cli.js'

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

export function randomAlnum(length: number): string {
  // 248 = 4 * 62: rejecting bytes above it keeps the choice uniform
  let out = ''
  while (out.length < length) for (const byte of randomBytes(length)) if (byte < 248 && out.length < length) out += ALNUM[byte % 62]
  return out
}

/** Matches the built-in `openai-api-key` format: sk-proj- + 74 + T3BlbkFJ + 74. */
export const openaiCanary = () => `sk-proj-${randomAlnum(74)}T3BlbkFJ${randomAlnum(74)}`
/** Matches the built-in `anthropic-api-key` format: sk-ant-api03- + 93 + AA. */
export const anthropicCanary = () => `sk-ant-api03-${randomAlnum(93)}AA`
/** Mistral has no key format, so any text is accepted: this one changes under encodeURIComponent and JSON.stringify. */
export const mistralCanary = () => `${randomAlnum(16)}+/=${randomAlnum(8)}"\\${randomAlnum(8)}`

export interface RunFixture {
  home: CliHome
  passphrase: string
  token: string
  keys: {openai: string; anthropic: string; mistral: string}
  /** the shop app folder (in the base home, shared by every clone, never modified) */
  shopApp: string
  /** a fresh folder for marker files, inside this clone's home */
  markers: string
  /** runCli with the home and the session token */
  cli(args: string[], options?: CliOptions): Promise<CliResult>
  spawn(args: string[], options?: CliOptions): ReturnType<typeof spawnCli>
  cleanup(): void
}

interface Base {
  home: CliHome
  passphrase: string
  token: string
  keys: RunFixture['keys']
  shopApp: string
}

let basePromise: Promise<Base> | undefined

async function must(promise: Promise<CliResult>, what: string): Promise<CliResult> {
  const result = await promise
  if (result.code !== 0) throw new Error(`fixture: ${what} failed: ${explain(result)}`)
  return result
}

async function buildBase(): Promise<Base> {
  const home = makeHome('cv-e2e-run-base-')
  process.once('exit', () => home.cleanup())
  const passphrase = await initVault(home, randomCanary())
  const token = await unlock(home, passphrase)
  const env = {CODEX_VAULT_SESSION: token}
  const shopApp = join(home.dir, 'apps', 'shop')
  const otherApp = join(home.dir, 'apps', 'other')
  mkdirSync(join(shopApp, 'src'), {recursive: true})
  mkdirSync(join(otherApp, 'src'), {recursive: true})
  writeFileSync(join(shopApp, 'package.json'), JSON.stringify({name: 'shop', dependencies: {openai: '4'}}))
  writeFileSync(join(shopApp, 'src', 'index.js'), "import OpenAI from 'openai'\nnew OpenAI()\n")
  writeFileSync(join(otherApp, 'package.json'), JSON.stringify({name: 'other', dependencies: {'@anthropic-ai/sdk': '0.30'}}))
  writeFileSync(join(otherApp, 'src', 'index.js'), "import Anthropic from '@anthropic-ai/sdk'\nnew Anthropic()\n")
  const keys = {openai: openaiCanary(), anthropic: anthropicCanary(), mistral: mistralCanary()}
  await must(runCli(['bind', shopApp, '--name', 'shop'], {home, env}), 'bind shop')
  await must(runCli(['bind', otherApp, '--name', 'other'], {home, env}), 'bind other')
  await must(runCli(['secret', 'set', 'openai'], {home, env, input: keys.openai}), 'secret set openai')
  await must(runCli(['secret', 'set', 'anthropic'], {home, env, input: keys.anthropic}), 'secret set anthropic')
  await must(runCli(['secret', 'set', 'mistral'], {home, env, input: keys.mistral}), 'secret set mistral')
  await must(runCli(['grant', 'approve', '--asset', 'other', '--capability', 'ai.anthropic.inference'], {home, env}), 'grant other')
  return {home, passphrase, token, keys, shopApp}
}

/** A private copy of the shared base vault (built on first use). */
export async function runFixture(options: {grantShop?: boolean} = {}): Promise<RunFixture> {
  basePromise ??= buildBase()
  const base = await basePromise
  const home = makeHome('cv-e2e-run-')
  cpSync(base.home.dir, home.dir, {recursive: true, filter: (source) => !source.startsWith(join(base.home.dir, 'apps'))})
  const markers = join(home.dir, 'markers')
  mkdirSync(markers)
  const withSession = (options: CliOptions = {}): CliOptions => ({...options, home, env: {CODEX_VAULT_SESSION: base.token, ...options.env}})
  const fixture: RunFixture = {
    home, passphrase: base.passphrase, token: base.token, keys: base.keys, shopApp: base.shopApp, markers,
    cli: (args, options) => runCli(args, withSession(options)),
    spawn: (args, options) => spawnCli(args, withSession(options)),
    cleanup: () => home.cleanup(),
  }
  if (options.grantShop) await must(fixture.cli(['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference']), 'grant shop')
  return fixture
}

/** Polls until the file exists; false after `ms`. */
export async function waitForFile(path: string, ms = 45_000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (existsSync(path)) return true
    await sleep(25)
  }
  return existsSync(path)
}

/** True while a process with this pid exists (a zombie counts: it has not been reaped yet). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A `node -e` program that writes `marker` (so a test can prove the child started) and exits 0. */
export function markerChild(marker: string): string[] {
  return ['node', '-e', 'require("fs").writeFileSync(process.argv[1], "started")', marker]
}

export function removeMarker(path: string): void {
  rmSync(path, {force: true})
}
