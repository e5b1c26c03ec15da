/**
 * The audit log as the CLI uses it, end to end through the built binary (`npx tsc -b` first): one
 * long mixed scenario where every state change and every denial leaves exactly one record (run: two)
 * and read-only commands leave none; `audit tail` filters and --follow; no canary in the log.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {
  type CliHome, assertNoCanary, initVault, makeHome, randomCanary, sleep, spawnCli, unlock,
} from '../helpers/cli.js'
import {type TailRecord, allAuditBytes, cv, expectExit, makeOpenAiApp, openAiKey, tailJson} from './audit-helpers.js'

describe('audit log end to end: a mixed scenario', function () {
  this.timeout(120_000)
  let home: CliHome
  let passphrase: string
  let token: string
  let session: Record<string, string>
  const secrets: string[] = []
  /** the record types the log must hold, in order, after each step */
  const expected: string[] = ['vault.init', 'session.unlock']

  before(async () => {
    home = makeHome('cv-e2e-audit-')
    passphrase = await initVault(home)
    token = await unlock(home, passphrase)
    session = {CODEX_VAULT_SESSION: token}
    secrets.push(passphrase, token, token.split('.')[2]) // the token's key part alone, too (its id part is logged by design)
  })

  after(() => home?.cleanup())

  it('writes exactly one record per state change and per denial (run: allow + exit); read-only commands write none', async () => {
    const openai = openAiKey(randomCanary())
    const acme = randomCanary()
    const rotated = openAiKey(randomCanary())
    const wrong = randomCanary()
    secrets.push(openai, acme, rotated, wrong)

    expectExit(await cv(home, ['secret', 'set', 'openai'], {env: session, input: openai}), 0, 'secret set openai')
    expected.push('secret.set')

    const providerFile = join(home.dir, 'acme.json')
    writeFileSync(providerFile, JSON.stringify({id: 'acme', name: 'Acme', capabilities: ['api.acme.call'], env: ['ACME_API_KEY']}))
    expectExit(await cv(home, ['provider', 'add', providerFile], {env: session}), 0, 'provider add')
    expected.push('provider.add')
    expectExit(await cv(home, ['secret', 'set', 'acme'], {env: session, input: acme}), 0, 'secret set acme')
    expected.push('secret.set')

    const app = makeOpenAiApp(home.dir)
    expectExit(await cv(home, ['bind', app, '--name', 'shop'], {env: session}), 0, 'bind')
    expected.push('asset.bind')
    expectExit(await cv(home, ['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference', '--ttl', '2h'], {env: session}), 0, 'grant approve')
    expected.push('grant.approve')

    // allowed run: the child's exit code comes back, and the log gets run.allow then run.exit
    const run = await cv(home, ['run', '--asset', 'shop', '--', process.execPath, '-e', 'process.exit(3)'], {env: session})
    expectExit(run, 3, 'allowed run')
    expected.push('run.allow', 'run.exit')

    // denied run (no grant for this capability): exit 6, one record
    expectExit(await cv(home, ['run', '--asset', 'shop', '--capability', 'ai.openai.files', '--', 'true'], {env: session}), 6, 'denied run')
    expected.push('run.deny')

    // wrong passphrase: exit 4, one unsealed record
    expectExit(await cv(home, ['unlock', '--raw', '--passphrase-stdin'], {input: wrong}), 4, 'wrong passphrase')
    expected.push('auth.deny')

    // a well-formed token for no session: exit 7, one unsealed record
    const bogus = `cvs1.${Buffer.alloc(16, 7).toString('base64url')}.${Buffer.alloc(32, 9).toString('base64url')}`
    expectExit(await cv(home, ['secret', 'list'], {env: {CODEX_VAULT_SESSION: bogus}}), 7, 'bogus session')
    expected.push('session.deny')

    // read-only commands, in parallel: no record at all
    const readOnly = await Promise.all([
      cv(home, ['status', '--json'], {env: session}),
      cv(home, ['secret', 'list'], {env: session}),
      cv(home, ['grant', 'list'], {env: session}),
      cv(home, ['asset', 'list'], {env: session}),
      cv(home, ['provider', 'list'], {env: session}),
      cv(home, ['audit', 'tail'], {env: session}),
      cv(home, ['audit', 'verify'], {env: session}),
      cv(home, ['run', '--asset', 'shop', '--dry-run', '--json'], {env: session}),
    ])
    readOnly.forEach((result, i) => expectExit(result, 0, `read-only command #${i}`))

    expectExit(await cv(home, ['grant', 'revoke', '--asset', 'shop', '--reason', 'scenario'], {env: session}), 0, 'grant revoke')
    expected.push('grant.revoke')
    // a denied dry run is a read, not a decision: exit 6 and still no record
    expectExit(await cv(home, ['run', '--asset', 'shop', '--dry-run'], {env: session}), 6, 'denied dry run')
    expectExit(await cv(home, ['asset', 'disable', 'shop', '--reason', 'scenario'], {env: session}), 0, 'asset disable')
    expected.push('asset.disable')
    expectExit(await cv(home, ['asset', 'enable', 'shop'], {env: session}), 0, 'asset enable')
    expected.push('asset.enable')
    expectExit(await cv(home, ['secret', 'rotate', 'openai'], {env: session, input: rotated}), 0, 'secret rotate')
    expected.push('secret.rotate')

    const records = await tailJson(home, session)
    expect(records.map((r) => r.type)).to.deep.equal(expected)
    expect(records.map((r) => r.seq)).to.deep.equal(records.map((_, i) => i))
    for (let i = 1; i < records.length; i++) expect(records[i].prev, `record ${i} links to ${i - 1}`).to.equal(records[i - 1].hash)
    // denials before a key was available are chain-only; everything else is sealed
    for (const record of records) expect(record.sealed, record.type).to.equal(!['auth.deny', 'session.deny'].includes(record.type))
    const byType = (type: string) => records.filter((r) => r.type === type)
    expect(byType('run.exit')[0].data).to.include({exitCode: 3})
    expect(byType('run.allow')[0]).to.include({asset: 'shop', outcome: 'allow'})
    expect(byType('run.deny')[0]).to.include({asset: 'shop', outcome: 'deny'})
    expect(byType('run.deny')[0].reason).to.match(/ai\.openai\.files/)
    expect(byType('auth.deny')[0].data).to.include({command: 'unlock'})

    const verify = expectExit(await cv(home, ['audit', 'verify', '--json'], {env: session}), 0, 'audit verify')
    const report = JSON.parse(verify.stdout)
    expect(report.status).to.equal(0)
    expect(report.result).to.include({ok: true, records: expected.length, segments: 1, sealed: expected.length - 2})
    expect(report.result.head.seq).to.equal(expected.length - 1)
  })

  it('audit tail: -n, --asset, --type (prefix), --since (duration, date, time), human lines, bad filters exit 2', async () => {
    const all = await tailJson(home, session)
    expect(all.length).to.equal(expected.length)
    const seqs = (records: TailRecord[]) => records.map((r) => r.seq)
    const [last3, shop, run, gr, exact, hour, future, fromMiddle] = await Promise.all([
      tailJson(home, session, ['-n', '3']),
      tailJson(home, session, ['-n', '1000', '--asset', 'shop']),
      tailJson(home, session, ['-n', '1000', '--type', 'run']),
      tailJson(home, session, ['-n', '1000', '--type', 'gr']),
      tailJson(home, session, ['-n', '1000', '--type', 'secret.set']),
      tailJson(home, session, ['-n', '1000', '--since', '1h']),
      tailJson(home, session, ['-n', '1000', '--since', '2099-01-01']),
      tailJson(home, session, ['-n', '1000', '--since', all[8].ts]),
    ])
    expect(seqs(last3)).to.deep.equal(seqs(all.slice(-3)))
    expect(shop.length).to.be.greaterThan(5)
    expect(seqs(shop)).to.deep.equal(seqs(all.filter((r) => r.asset === 'shop')))
    expect(run.map((r) => r.type)).to.deep.equal(['run.allow', 'run.exit', 'run.deny'])
    expect(gr, '--type is a whole-segment prefix').to.deep.equal([])
    expect(exact.map((r) => r.provider)).to.deep.equal(['openai', 'acme'])
    expect(seqs(hour)).to.deep.equal(seqs(all))
    expect(future).to.deep.equal([])
    expect(seqs(fromMiddle)).to.deep.equal(seqs(all.filter((r) => Date.parse(r.ts) >= Date.parse(all[8].ts))))
    expect(fromMiddle.length).to.be.within(1, all.length - 8)
    // combined filters, and -n counts matches (not records scanned)
    const combined = await tailJson(home, session, ['-n', '1', '--asset', 'shop', '--type', 'run'])
    expect(combined.map((r) => r.type)).to.deep.equal(['run.deny'])
    // JSON records carry the documented fields
    for (const record of all) {
      expect(record).to.include.keys('seq', 'ts', 'type', 'outcome', 'segment', 'pid', 'sealed', 'prev', 'hash')
      expect(record.hash).to.match(/^[0-9a-f]{64}$/)
    }

    const [human, badN, badSince] = await Promise.all([
      cv(home, ['audit', 'tail', '-n', '2'], {env: session}),
      cv(home, ['audit', 'tail', '-n', '0', '--json'], {env: session}),
      cv(home, ['audit', 'tail', '--since', 'yesterday'], {env: session}),
    ])
    const lines = expectExit(human, 0, 'human tail').stdout.trim().split('\n')
    expect(lines).to.have.length(2)
    expect(lines[0]).to.match(new RegExp(`^#${all.at(-2)!.seq}\\s+\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\s+${all.at(-2)!.type.replace('.', '\\.')}`))
    expectExit(badN, 2, '-n 0')
    expect(JSON.parse(badN.stdout)).to.include({status: 2})
    expectExit(badSince, 2, '--since yesterday')
    expect(badSince.stderr).to.match(/--since/)
    // none of those read-only queries wrote anything
    expect((await tailJson(home, session)).length).to.equal(expected.length)
  })

  it('audit tail --follow prints a record appended by another command within ~1.5 s; SIGINT ends it with exit 0', async () => {
    const follow = spawnCli(['audit', 'tail', '--follow', '--json', '-n', '1'], {home, env: {...session, NODE_ENV: 'production'}, timeoutMs: 60_000})
    let out = ''
    follow.child.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString('utf8') })
    const waitFor = async (pattern: RegExp, ms: number) => {
      const start = Date.now()
      while (!pattern.test(out) && Date.now() - start < ms) await sleep(25)
      return Date.now() - start
    }
    try {
      await waitFor(/\n/, 30_000)
      const first = JSON.parse(out.split('\n')[0])
      expect(first.type, 'the newest record is printed first').to.equal(expected.at(-1))
      expectExit(await cv(home, ['asset', 'disable', 'shop', '--reason', 'follow-check'], {env: session}), 0, 'asset disable')
      expected.push('asset.disable')
      const waited = await waitFor(/"asset\.disable"[^\n]*follow-check/, 5000)
      expect(waited, `follow printed the new record after ${waited} ms:\n${out}`).to.be.below(1500)
      expectExit(await cv(home, ['asset', 'enable', 'shop'], {env: session}), 0, 'asset enable')
      expected.push('asset.enable')
      await waitFor(/"asset\.enable"/, 5000)
      const lines = out.trim().split('\n').map((line) => JSON.parse(line))
      expect(lines.map((r) => r.type)).to.deep.equal(expected.slice(-3))
      expect(lines.map((r) => r.seq)).to.deep.equal([expected.length - 3, expected.length - 2, expected.length - 1])
    } finally {
      follow.child.kill('SIGINT')
    }
    const result = await follow.done
    expect(result.timedOut).to.equal(false)
    expect(result.code, result.stderr).to.equal(0)
  })

  it('secret set with space-separated --env / --name is stored and recorded once', async () => {
    const value = randomCanary()
    secrets.push(value)
    const result = await cv(home, ['secret', 'set', 'azure-openai', '--env', 'AZURE_API_KEY', '--name', 'prod'], {env: session, input: value})
    expectExit(result, 0, 'secret set --env NAME --name X')
    expected.push('secret.set')
    const [record] = await tailJson(home, session, ['-n', '1'])
    expect(record).to.include({type: 'secret.set', provider: 'azure-openai'})
    expect(record.data).to.include({env: 'AZURE_API_KEY', label: 'prod'})
  })

  it('lock is recorded, a revoked token is one unsealed denial, the chain verifies, and no canary is in the log', async () => {
    expectExit(await cv(home, ['lock'], {env: session}), 0, 'lock')
    expected.push('session.lock')
    const denied = expectExit(await cv(home, ['secret', 'list'], {env: session}), 7, 'revoked token')
    expect(denied.stderr).to.match(/^codex-vault: /)
    expected.push('session.deny')
    // locked status (no session, no passphrase) is a read: exit 7, no record
    expectExit(await cv(home, ['status']), 7, 'locked status')

    const records = await tailJson(home, {}, ['-n', '1000', '--passphrase-stdin'], passphrase)
    expect(records.map((r) => r.type)).to.deep.equal(expected)
    expect(records.at(-1)!.sealed).to.equal(false)
    const verify = expectExit(await cv(home, ['audit', 'verify', '--passphrase-stdin'], {input: passphrase}), 0, 'verify')
    expect(verify.stdout).to.match(new RegExp(`audit log ok: ${expected.length} records in 1 segment`))

    // the log is readable by anyone who can read the folder: no passphrase, token or key in any form
    const log = allAuditBytes(home.vault)
    expect(log.length).to.be.greaterThan(1000)
    assertNoCanary(log, secrets, 'the audit log')
    assertNoCanary(JSON.stringify(records), secrets, 'audit tail --json')
    assertNoCanary(readFileSync(home.vault), secrets, 'the vault file')
  })
})
