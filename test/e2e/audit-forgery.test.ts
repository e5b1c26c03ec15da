/**
 * Forged unsealed records, the exit codes of `audit verify`, and `audit tail --follow` on a log that
 * shrinks, end to end through the built binary (`npm run build` first). Unsealed records carry no
 * MAC, so anyone who can write the log can append one; only denials are written that way, so any
 * other unsealed record is refused: verify names it (exit 5) and every authenticated command fails
 * closed (exit 5) before a sealed record can chain over it. verify tells damage (exit 5) from
 * missing records (exit 10).
 */
import {readFileSync, truncateSync, writeFileSync} from 'node:fs'

import {expect} from 'chai'

import {encodeRecord, parsePayload} from '../../src/audit/record.js'
import {AuditLog} from '../../src/audit/log.js'
import {type CliHome, initVault, makeHome, sleep, spawnCli, unlock} from '../helpers/cli.js'
import {FORGED_APPROVAL, forgeUnsealed} from '../audit/helpers.js'
import {type Frame, cv, expectExit, fixCheck, frames, makeOpenAiApp, tailJson} from './audit-helpers.js'

const APPROVE = ['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference']

describe('audit log end to end: forged unsealed records and verify exit codes', function () {
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
    expect(verify.stderr).to.match(new RegExp(`^codex-vault: audit log verification failed at record ${seq}: unsealed record with outcome 'ok'`))
    const doc = JSON.parse(expectExit(verifyJson, 5, 'verify --json').stdout)
    expect(doc).to.deep.include({status: 5})
    expect(doc.error.code).to.equal('INTEGRITY')
    expect(doc.error.details.report).to.include({ok: false, firstBadSeq: seq, failure: 'integrity'})

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
    expect(added.map((f) => [f.payload.type, f.payload.outcome, f.payload.sealed])).to.deep.equal(runs.map(() => ['audit.integrity', 'deny', false]))
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

  it('verify: damaged, reordered, edited and re-chained records exit 5 (INTEGRITY); other commands keep their codes', async () => {
    const mid = pristine[3]
    const flipped = Buffer.from(auditBytes)
    flipped[mid.payloadStart + 10] ^= 0x01
    const swapped = Buffer.concat([auditBytes.subarray(0, mid.offset), auditBytes.subarray(pristine[4].offset, pristine[5].offset), auditBytes.subarray(mid.offset, pristine[4].offset), auditBytes.subarray(pristine[5].offset)])
    // the same edit with the frame check recomputed: only the MAC can tell
    const edited = Buffer.from(flipped)
    fixCheck(edited, mid)
    const cases: [string, Buffer, RegExp][] = [
      ['flipped byte', flipped, /failed at record 3: damaged record \(record check failed\)/],
      ['two records swapped', swapped, /failed at record 3: expected seq 3 but found 4/],
      ['same-length edit, frame check recomputed', edited, /failed at record 3: seal \(MAC\) does not verify/],
      ['garbage after the last record', Buffer.concat([auditBytes, Buffer.from('garbage')]), /failed at record \d+: damaged record \(bad record magic\)/],
    ]
    for (const [what, bytes, message] of cases) {
      restore()
      writeFileSync(live(), bytes)
      const [verify, verifyJson] = await Promise.all([
        cv(home, ['audit', 'verify'], {env: session}),
        cv(home, ['audit', 'verify', '--json'], {env: session}),
      ])
      expectExit(verify, 5, what)
      expect(verify.stderr, what).to.match(message)
      expect(JSON.parse(verifyJson.stdout).error, what).to.include({code: 'INTEGRITY'})
    }
    // the boot-time check reads only the anchored record and what follows: garbage there is still exit 10
    expectExit(await cv(home, ['status'], {env: session}), 10, 'status with garbage after the anchor')

    // re-chained: every record rewritten unsealed with recomputed unkeyed hashes
    restore()
    let prev: Buffer = Buffer.alloc(32)
    const rechained = pristine.map((frame) => {
      const payload = parsePayload(auditBytes.subarray(frame.payloadStart, frame.payloadStart + frame.payloadLength))
      if (typeof payload === 'string') throw new Error(payload)
      const record = encodeRecord({...payload, prev: prev.toString('hex'), sealed: false}, prev, null)
      prev = record.hash
      return record.bytes
    })
    writeFileSync(live(), Buffer.concat(rechained))
    const [verify, status] = await Promise.all([cv(home, ['audit', 'verify', '--json'], {env: session}), cv(home, ['status'], {env: session})])
    expectExit(verify, 5, 're-chained: verify')
    expect(JSON.parse(verify.stdout).error).to.include({code: 'INTEGRITY'}).and.have.property('message').that.matches(/failed at record 0: unsealed record with outcome 'ok'/)
    // the O(1) check cannot tell an edit of the anchored record from a rollback
    expectExit(status, 10, 're-chained: status')
  })

  it('verify: a log cut before the anchor exits 10 (ROLLBACK) and writes nothing', async () => {
    restore()
    truncateSync(live(), pristine[4].offset)
    const before = audit()
    const verify = expectExit(await cv(home, ['audit', 'verify', '--json'], {env: session}), 10, 'verify')
    const doc = JSON.parse(verify.stdout)
    expect(doc.error.code).to.equal('ROLLBACK')
    expect(doc.error.message).to.match(/failed at record 4: the log ends before the anchored record/)
    expect(audit().equals(before), 'verify only reads').to.equal(true)
  })

  it('audit tail --follow: no listener warning while following, and a log cut short ends it with exit 10', async () => {
    restore()
    const follow = spawnCli(['audit', 'tail', '--follow', '-n', '1'], {home, env: {...session, NODE_ENV: 'production'}, timeoutMs: 60_000})
    let out = ''
    follow.child.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString('utf8') })
    try {
      const start = Date.now()
      while (!out.includes('\n') && Date.now() - start < 30_000) await sleep(25)
      expect(out).to.match(/auth\.deny/)
      // the old poll loop added a listener every 250 ms and warned after about 3 s
      await sleep(3500)
      truncateSync(live(), pristine[3].offset)
    } finally {
      setTimeout(() => follow.child.kill('SIGKILL'), 10_000).unref()
    }
    const result = await follow.done
    expect(result.timedOut).to.equal(false)
    expect(result.code, result.stderr).to.equal(10)
    expect(result.stderr).to.match(/^codex-vault: audit log truncated, rolled back or edited: the last record shown \(seq \d+\) is gone or changed/m)
    expect(result.stderr).to.not.match(/MaxListenersExceededWarning/)
  })
})
