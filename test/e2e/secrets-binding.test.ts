/**
 * Per-secret AEAD binding end to end: two secrets' {nonce, ct} swapped inside a decrypted body and
 * the vault re-sealed validly (the body and header authenticate; only the per-secret associated
 * data can tell). `run` must then exit 5 and never start the child. A run before the swap proves
 * the setup works and fills lastInjected.
 */
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {openSession} from '../../src/auth/session.js'
import {openBody, sealVault} from '../../src/secrets/vault-codec.js'
import {parseVaultFile} from '../../src/secrets/vault-header.js'
import {vaultKeysFrom} from '../../src/secrets/vault-keys.js'
import {
  type CliHome, type CliOptions, type CliResult, assertNoCanary, explain, hasStackTrace, initVault, makeHome, randomCanary, runCli, unlock,
} from '../helpers/cli.js'

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** A child that records a hash of each injected key in the marker file (never the key itself). */
const CHILD = `require('node:fs').writeFileSync(process.argv[1], JSON.stringify({
  mistral: require('node:crypto').createHash('sha256').update(process.env.MISTRAL_API_KEY ?? '').digest('hex'),
  cohere: require('node:crypto').createHash('sha256').update(process.env.CO_API_KEY ?? '').digest('hex'),
}))`

describe('per-secret AEAD binding end to end', function () {
  this.timeout(300_000)
  let home: CliHome
  let token: string
  const outputs: string[] = []

  async function cv(args: string[], options: CliOptions = {}): Promise<CliResult> {
    const result = await runCli(args, {home, timeoutMs: 120_000, ...options, env: {CODEX_VAULT_SESSION: token, ...options.env}})
    outputs.push(result.stdout, result.stderr)
    expect(result.timedOut, explain(result)).to.equal(false)
    expect(hasStackTrace(result.stderr), explain(result)).to.equal(false)
    return result
  }

  before(async () => {
    home = makeHome('cv-e2e-binding-')
    token = await unlock(home, await initVault(home))
  })

  after(() => home.cleanup())

  it('swapped ciphertexts in a validly re-sealed vault: run exits 5 and the child never starts', async () => {
    const mistral = randomCanary()
    const cohere = randomCanary()
    const secrets = [mistral, cohere]
    for (const [provider, value] of [['mistral', mistral], ['cohere', cohere]]) {
      const set = await cv(['secret', 'set', provider], {input: `${value}\n`})
      expect(set.code, explain(set)).to.equal(0)
    }
    const app = join(home.dir, 'app')
    mkdirSync(app)
    writeFileSync(join(app, 'package.json'), JSON.stringify({name: 'tiny-app', version: '1.0.0', private: true}))
    const bind = await cv(['bind', app, '--name', 'tiny', '--capability', 'ai.mistral.inference', '--capability', 'ai.cohere.inference'])
    expect(bind.code, explain(bind)).to.equal(0)
    for (const capability of ['ai.mistral.inference', 'ai.cohere.inference']) {
      const grant = await cv(['grant', 'approve', '--asset', 'tiny', '--capability', capability, '--ttl', '1h'])
      expect(grant.code, explain(grant)).to.equal(0)
    }

    // before the swap: the child starts and gets each key under its own name
    const good = join(home.dir, 'good.json')
    const ok = await cv(['run', '--asset', 'tiny', '--', process.execPath, '-e', CHILD, good])
    expect(ok.code, explain(ok)).to.equal(0)
    expect(JSON.parse(readFileSync(good, 'utf8'))).to.deep.equal({mistral: sha256(mistral), cohere: sha256(cohere)})
    const listed = JSON.parse((await cv(['secret', 'list', '--json'])).stdout).result.secrets
    expect(listed).to.have.length(2)
    for (const secret of listed) {
      expect(Object.keys(secret).sort()).to.deep.equal(['created', 'env', 'fingerprint', 'lastInjected', 'length', 'provider', 'version'])
      expect(Date.parse(secret.lastInjected)).to.be.at.least(Date.parse(secret.created))
    }

    // swap {nonce, ct} of the two records and re-seal with the real keys (from the session)
    const parsed = parseVaultFile(readFileSync(home.vault))
    const session = openSession(home.env, token, parsed.header.vaultId, new Date())
    const keys = vaultKeysFrom(session.dek)
    try {
      const body = openBody(parsed, keys)
      const [a, b] = body.secrets
      expect([a.provider, b.provider].sort()).to.deep.equal(['cohere', 'mistral'])
      ;[a.nonce, a.ct, b.nonce, b.ct] = [b.nonce, b.ct, a.nonce, a.ct]
      const bytes = sealVault(parsed.header, body, keys)
      // the tampered file is a perfectly valid vault: header MAC, body AEAD and schema all pass
      expect(openBody(parseVaultFile(bytes), keys).secrets.map((s) => s.ct)).to.deep.equal(body.secrets.map((s) => s.ct))
      writeFileSync(home.vault, bytes, {mode: 0o600})
    } finally {
      keys.wipe()
    }

    const status = await cv(['status', '--json'])
    expect(status.code, explain(status)).to.equal(0)
    const marker = join(home.dir, 'tampered.json')
    const [denied, deniedJson] = await Promise.all([
      cv(['run', '--asset', 'tiny', '--', process.execPath, '-e', CHILD, marker]),
      cv(['run', '--asset', 'tiny', '--capability', 'ai.cohere.inference', '--json', '--', process.execPath, '-e', CHILD, marker]),
    ])
    expect(denied.code, explain(denied)).to.equal(5)
    expect(denied.stderr).to.match(/vault integrity check failed: the (mistral|cohere) secret \((MISTRAL_API_KEY|CO_API_KEY)\) does not belong to its record/)
    expect(deniedJson.code, explain(deniedJson)).to.equal(5)
    expect(JSON.parse(deniedJson.stdout).error.code).to.equal('INTEGRITY')
    expect(existsSync(marker)).to.equal(false)

    assertNoCanary(outputs.join('\n'), secrets, 'command output')
    assertNoCanary(readFileSync(`${home.vault}.audit`), secrets, 'the audit log')
  })
})
