/**
 * Many writers at once and segment rotation, end to end through the built binary (`npx tsc -b`
 * first). The home runs with CODEX_VAULT_AUDIT_SEGMENT_BYTES=2048 throughout, so the 32 parallel
 * approvals also rotate the log under contention.
 */
import {readFileSync, statSync, unlinkSync} from 'node:fs'

import {expect} from 'chai'

import {type CliHome, type CliResult, initVault, makeHome, unlock} from '../helpers/cli.js'
import {auditFiles, cv, expectExit, frames, makeOpenAiApp, tailJson} from './audit-helpers.js'

const APPROVE = ['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference', '--lock-timeout', '150s']

/** 32 `grant approve` started at once; returns the results and the grant ids the successful ones printed. */
async function approveAll(home: CliHome, session: Record<string, string>, count = 32): Promise<{results: CliResult[]; ids: string[]}> {
  const results = await Promise.all(Array.from({length: count}, (_, i) =>
    cv(home, [...APPROVE, '--reason', `parallel-${i}`], {env: session, timeoutMs: 180_000})))
  const ids = results.filter((r) => r.code === 0).map((r) => /approved (g_[A-Za-z0-9_-]+)/.exec(r.stdout)?.[1] ?? `missing id in: ${r.stdout}`)
  return {results, ids}
}

describe('audit log end to end: parallel writers and segment rotation', function () {
  this.timeout(300_000)
  let home: CliHome
  let session: Record<string, string>
  let before32 = 0

  before(async () => {
    home = makeHome('cv-e2e-audit-rot-')
    home.env.CODEX_VAULT_AUDIT_SEGMENT_BYTES = '2048'
    const passphrase = await initVault(home)
    session = {CODEX_VAULT_SESSION: await unlock(home, passphrase)}
    expectExit(await cv(home, ['bind', makeOpenAiApp(home.dir), '--name', 'shop'], {env: session}), 0, 'bind')
    before32 = 3 // vault.init, session.unlock, asset.bind
  })

  after(() => home?.cleanup())

  it('32 parallel grant approve: no lost, duplicated or torn record; each approval that succeeded has exactly one record; the chain verifies', async () => {
    const {results, ids} = await approveAll(home, session)
    const codes = results.map((r) => r.code)
    for (const result of results) {
      expect(result.timedOut).to.equal(false)
      expect(result.code, result.stderr).to.equal(0)
    }
    const failed = codes.filter((c) => c !== 0).length

    const records = await tailJson(home, session, ['-n', '1000'])
    expect(records.map((r) => r.seq)).to.deep.equal(records.map((_, i) => i))
    for (let i = 1; i < records.length; i++) expect(records[i].prev, `seq ${i} links to seq ${i - 1}`).to.equal(records[i - 1].hash)
    const approvals = records.filter((r) => r.type === 'grant.approve')
    expect(approvals.map((r) => r.data?.grant).sort()).to.deep.equal([...ids].sort())
    expect(approvals.every((r) => r.sealed)).to.equal(true)
    // whatever else is in the log is a refused process's own unsealed denial (at most one each)
    const others = records.slice(before32).filter((r) => r.type !== 'grant.approve')
    expect(others.every((r) => r.type === 'audit.rollback' && !r.sealed)).to.equal(true)
    expect(others.length).to.be.at.most(failed)
    expect(new Set(records.map((r) => r.segment)).size, 'the log rotated under contention').to.be.greaterThan(1)

    const verify = JSON.parse(expectExit(await cv(home, ['audit', 'verify', '--json'], {env: session}), 0, 'verify').stdout)
    expect(verify.result).to.include({ok: true, records: records.length})
  })

  it('32 parallel grant approve all exit 0, giving exactly 32 grant.approve records with consecutive seqs in one chain', async () => {
    const start = (await tailJson(home, session, ['-n', '1'])).at(-1)!.seq
    const {results, ids} = await approveAll(home, session)
    results.forEach((result, i) => expectExit(result, 0, `parallel approve ${i}`))
    const records = (await tailJson(home, session, ['-n', '1000'])).filter((r) => r.seq > start)
    expect(records.map((r) => r.type)).to.deep.equal(Array(32).fill('grant.approve'))
    expect(records.map((r) => r.seq)).to.deep.equal(Array.from({length: 32}, (_, i) => start + 1 + i))
    expect(records.map((r) => r.data?.grant).sort()).to.deep.equal([...ids].sort())
    expectExit(await cv(home, ['audit', 'verify'], {env: session}), 0, 'verify')
  })

  it('rotation at 2048 bytes: several segment files, tail reads across them in order, verify counts them, a deleted old segment is exit 10', async () => {
    // 8 more state changes (40 in all with the 32 approvals)
    for (let i = 0; i < 4; i++) {
      expectExit(await cv(home, ['asset', 'disable', 'shop', '--reason', `rotation-${i}`], {env: session}), 0, 'asset disable')
      expectExit(await cv(home, ['asset', 'enable', 'shop'], {env: session}), 0, 'asset enable')
    }
    const files = auditFiles(home.vault)
    expect(files.length, files.join('\n')).to.be.greaterThan(3)
    expect(files.slice(0, -1).map((f) => f.slice(-6))).to.deep.equal(files.slice(0, -1).map((_, i) => String(i).padStart(6, '0')))
    for (const file of files) {
      expect(statSync(file).size, file).to.be.at.most(2048)
      expect(statSync(file).mode & 0o777, file).to.equal(0o600)
    }
    // every segment parses on its own, its records carry its number, and seqs run on across files
    const onDisk = files.flatMap((file, segment) => frames(readFileSync(file)).map((f) => {
      expect(f.payload.segment).to.equal(segment)
      return f.payload.seq as number
    }))
    expect(onDisk).to.deep.equal(onDisk.map((_, i) => i))

    const last100 = await tailJson(home, session, ['-n', '100'])
    const expectedSeqs = onDisk.slice(-100)
    expect(last100.map((r) => r.seq)).to.deep.equal(expectedSeqs)
    const segments = last100.map((r) => r.segment)
    expect(segments).to.deep.equal([...segments].sort((a, b) => a - b))
    expect(new Set(segments).size).to.be.greaterThan(2)
    expect(last100.slice(-8).map((r) => r.type)).to.deep.equal(Array(4).fill(['asset.disable', 'asset.enable']).flat())
    // a filter that only matches old records has to walk back through the archives
    const first = await tailJson(home, session, ['-n', '1', '--type', 'vault.init'])
    expect(first.map((r) => [r.seq, r.segment])).to.deep.equal([[0, 0]])

    const verify = expectExit(await cv(home, ['audit', 'verify', '--json'], {env: session}), 0, 'verify')
    expect(JSON.parse(verify.stdout).result).to.include({ok: true, records: onDisk.length, segments: files.length})
    const human = expectExit(await cv(home, ['audit', 'verify'], {env: session}), 0, 'verify')
    expect(human.stdout).to.match(new RegExp(`audit log ok: ${onDisk.length} records in ${files.length} segment\\(s\\)`))

    // an old segment goes missing: the O(1) boot check does not look that far back, verify does
    unlinkSync(files[1])
    expectExit(await cv(home, ['status'], {env: session}), 0, 'status after an old segment was deleted')
    const broken = expectExit(await cv(home, ['audit', 'verify', '--json'], {env: session}), 10, 'verify after an old segment was deleted')
    const doc = JSON.parse(broken.stdout)
    expect(doc.error.code).to.equal('ROLLBACK')
    expect(doc.error.details.report.problem).to.match(/segment 1 is missing/)
    // named by the first record that is gone, not record 0
    const firstGone = frames(readFileSync(files[0])).length
    expect(doc.error.details.report.firstBadSeq).to.equal(firstGone)
    expect(doc.error.message).to.match(new RegExp(`^audit log verification failed at record ${firstGone}: segment 1 is missing`))

    // tail still shows what exists, but says the list stops at a gap instead of looking complete
    const recent = expectExit(await cv(home, ['audit', 'tail', '-n', '5'], {env: session}), 0, 'tail of recent records')
    expect(recent.stderr, 'no gap reached').to.equal('')
    const walked = expectExit(await cv(home, ['audit', 'tail', '-n', '1', '--type', 'vault.init'], {env: session}), 0, 'tail into the gap')
    expect(walked.stdout).to.equal('')
    expect(walked.stderr).to.match(/^codex-vault: warning: audit segment .*\.000001 is missing, so older events cannot be shown; run `codex-vault audit verify`/m)
    const walkedJson = JSON.parse(expectExit(await cv(home, ['audit', 'tail', '--json', '-n', '1', '--type', 'vault.init'], {env: session}), 0, 'tail --json into the gap').stdout)
    expect(walkedJson.result.records).to.deep.equal([])
    expect(walkedJson.result.missingSegment).to.match(/\.000001$/)
    expect(walkedJson.warnings.join('\n')).to.match(/is missing, so older events cannot be shown/)
  })
})
