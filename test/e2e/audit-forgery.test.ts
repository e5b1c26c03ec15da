/**
 * Forged unsealed records end to end through the built binary (`npm run build` first). Unsealed
 * records carry no MAC, so anyone who can write the log can append one; only denials are written
 * that way, so any other unsealed record is refused: every authenticated command fails closed
 * (exit 5) before a sealed record can chain over it.
 */
import {readFileSync, writeFileSync} from 'node:fs'

import {expect} from 'chai'

import {AuditLog} from '../../src/audit/log.js'
import {type CliHome, initVault, makeHome, unlock} from '../helpers/cli.js'
import {FORGED_APPROVAL, forgeUnsealed} from '../audit/helpers.js'
import {type Frame, cv, expectExit, frames, makeOpenAiApp, tailJson} from './audit-helpers.js'

const APPROVE = ['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference']

describe('audit log end to end: forged unsealed records', function () {
  this.timeout(180_000)
  let home: CliHome
  let session: Record<string, string>
  let vaultBytes: Buffer
  let auditBytes: Buffer
  let pristine: Frame[]

  const live = () => `${home.vault}.audit`
  const audit = () => readFileSync(live())

  /** Put the vault and the log back exactly as they were after setup. */
  function restore(): void {
    writeFileSync(live(), auditBytes, {mode: 0o600})
    writeFileSync(home.vault, vaultBytes, {mode: 0o600})
  }

  before(async () => {
    home = makeHome('cv-e2e-audit-forgery-')
    const passphrase = await initVault(home)
    session = {CODEX_VAULT_SESSION: await unlock(home, passphrase)}
    expectExit(await cv(home, ['bind', makeOpenAiApp(home.dir), '--name', 'shop'], {env: session}), 0, 'bind')
    for (let i = 0; i < 4; i++) expectExit(await cv(home, [...APPROVE, '--reason', `setup-${i}`], {env: session}), 0, `setup approve ${i}`)
    // a wrong passphrase: one genuine unsealed denial after the anchor
    expectExit(await cv(home, ['unlock', '--raw', '--passphrase-stdin'], {input: 'not the passphrase'}), 4, 'wrong passphrase')
    vaultBytes = readFileSync(home.vault)
    auditBytes = audit()
    pristine = frames(auditBytes)
    expect(pristine.map((f) => [f.payload.type, f.payload.sealed]).at(-1)).to.deep.equal(['auth.deny', false])
  })

  after(() => home?.cleanup())

  it('a forged unsealed approval after the anchor: verify exits 5 naming it, every command exits 5, nothing is sealed over it', async () => {
    restore()
    const [seq] = forgeUnsealed(new AuditLog({path: live()}), [FORGED_APPROVAL])
    expect(seq).to.equal(pristine.length)
    const [verify, verifyJson] = await Promise.all([
      cv(home, ['audit', 'verify'], {env: session}),
      cv(home, ['audit', 'verify', '--json'], {env: session}),
    ])
    expectExit(verify, 5, 'verify')
    expect(verify.stdout).to.equal('')
    expect(verify.stderr).to.match(new RegExp(`^codex-vault: audit log integrity check failed: an unsealed record \\(seq ${seq}\\) after the vault's anchor records outcome 'ok'`))
    const doc = JSON.parse(expectExit(verifyJson, 5, 'verify --json').stdout)
    expect(doc).to.deep.include({status: 5})
    expect(doc.error.code).to.equal('INTEGRITY')

    const runs = await Promise.all([
      cv(home, ['status'], {env: session}),
      cv(home, APPROVE, {env: session}),
      cv(home, ['run', '--asset', 'shop', '--', 'true'], {env: session}),
      cv(home, ['secret', 'list', '--json'], {env: session}),
    ])
    runs.forEach((result, i) => {
      expectExit(result, 5, `command #${i}`)
      expect(result.stderr + result.stdout, `command #${i}`).to.match(/audit log integrity check failed: an unsealed record \(seq \d+\) after the vault's anchor records outcome 'ok'/)
    })
    // fail closed: the vault is untouched and no sealed record chains over the forgery; each refusal
    // is one more unsealed denial
    expect(readFileSync(home.vault).equals(vaultBytes), 'vault unchanged').to.equal(true)
    const added = frames(audit()).slice(pristine.length + 1)
    expect(added.map((f) => [f.payload.type, f.payload.outcome, f.payload.sealed])).to.deep.equal([...runs, verify, verifyJson].map(() => ['audit.integrity', 'deny', false]))
    expectExit(await cv(home, ['audit', 'verify'], {env: session}), 5, 'verify after the refusals')
  })

  it('50 forged unsealed run.allow records: status exits 5', async () => {
    restore()
    forgeUnsealed(new AuditLog({path: live()}), Array.from({length: 50}, (_, i) => ({type: 'run.allow', outcome: 'allow' as const, asset: 'shop', data: {i}})))
    expectExit(await cv(home, ['status'], {env: session}), 5, 'status')
    expect(readFileSync(home.vault).equals(vaultBytes), 'vault unchanged').to.equal(true)
  })

  it('audit tail marks unsealed records in its text output', async () => {
    restore()
    const lines = expectExit(await cv(home, ['audit', 'tail', '-n', '3'], {env: session}), 0, 'tail').stdout.trim().split('\n')
    expect(lines).to.have.length(3)
    expect(lines[2]).to.match(/auth\.deny\s+deny\s+unsealed\b/)
    for (const line of lines.slice(0, 2)) expect(line).to.not.match(/unsealed/)
    const records = await tailJson(home, session, ['-n', '1'])
    expect(records[0]).to.include({type: 'auth.deny', sealed: false})
  })
})
