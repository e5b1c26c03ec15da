/**
 * Tampering with, truncating, rolling back and starving the audit log, end to end through the built
 * binary (`npx tsc -b` first). One vault is set up once; every test starts from a byte-exact copy of
 * its vault and log (restore()), damages them, and checks the exit codes the spec promises:
 * 10 for rollback/truncation and for edits the O(1) anchor check sees, 5 from `audit verify` for a
 * damaged or edited record (it names the record), 8 when the log cannot be written (fail closed,
 * vault unchanged), and the torn-tail repair after an interrupted write.
 */
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync} from 'node:fs'

import {expect} from 'chai'

import {type CliHome, BIN, assertNoCanary, initVault, makeHome, randomCanary, unlock} from '../helpers/cli.js'
import {type Frame, cv, expectExit, fixCheck, frames, makeOpenAiApp, openAiKey, tailJson} from './audit-helpers.js'

/** Run a shell script inside a new user + mount namespace (`unshare -rm`); resolves with its output. */
function inNamespace(script: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    const child = spawn('unshare', ['-rm', 'sh', '-c', script, 'sh', ...args], {env, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8') })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8') })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (error) => { clearTimeout(timer); resolve({code: null, stdout, stderr: `${stderr}${error.message}`}) })
    child.on('close', (code) => { clearTimeout(timer); resolve({code, stdout, stderr}) })
  })
}

/** `KEY value` lines printed by the namespace scripts. */
function marks(stdout: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of stdout.split('\n')) {
    const match = /^([A-Z0-9_-]+) (.*)$/.exec(line.trim())
    if (match) out[match[1]] = match[2]
  }
  return out
}

/** Common prologue: a 256 KiB tmpfs at $1 holding a copy of the vault and log from $2; `cv` runs the binary at $3; $4 is a folder for stderr files outside the full tmpfs. */
const TMPFS_PROLOGUE = `
set -u
M="$1"; SRC="$2"; BIN="$3"; E="$4"
mount -t tmpfs -o size=256k tmpfs "$M" || { echo "MOUNT failed"; exit 99; }
mkdir -m 700 "$M/data" && cp -p "$SRC/vault.cv" "$SRC/vault.cv.audit" "$M/data/" || exit 98
export CODEX_VAULT_FILE="$M/data/vault.cv" NODE_ENV=production
V="$M/data/vault.cv"; A="$M/data/vault.cv.audit"
cv() { node "$BIN" "$@"; }
sum() { sha256sum < "$1" | cut -c1-64; }
`

describe('audit log end to end: tampering, truncation, rollback, unwritable log', function () {
  this.timeout(180_000)
  let home: CliHome
  let passphrase: string
  let session: Record<string, string>
  let vaultBytes: Buffer
  let auditBytes: Buffer
  let pristine: Frame[]
  const secrets: string[] = []

  /** Put the vault and the log back exactly as they were after setup. */
  function restore(): void {
    const live = `${home.vault}.audit`
    if (existsSync(live)) rmSync(live, {recursive: true, force: true})
    writeFileSync(live, auditBytes, {mode: 0o600})
    writeFileSync(home.vault, vaultBytes, {mode: 0o600})
  }

  const audit = () => readFileSync(`${home.vault}.audit`)

  before(async () => {
    home = makeHome('cv-e2e-audit-tamper-')
    passphrase = await initVault(home)
    const token = await unlock(home, passphrase)
    session = {CODEX_VAULT_SESSION: token}
    const key = openAiKey(randomCanary())
    secrets.push(passphrase, token, token.split('.')[2], key)
    expectExit(await cv(home, ['secret', 'set', 'openai'], {env: session, input: key}), 0, 'secret set')
    expectExit(await cv(home, ['bind', makeOpenAiApp(home.dir), '--name', 'shop'], {env: session}), 0, 'bind')
    // enough sealed records to cut ten of them away and still keep the first few; one at a time,
    // because parallel writers trip the boot-time anchor race (see audit-concurrency.test.ts)
    for (let i = 0; i < 9; i++) {
      expectExit(await cv(home, ['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference', '--reason', `setup-${i}`], {env: session}), 0, `setup approve ${i}`)
    }
    vaultBytes = readFileSync(home.vault)
    auditBytes = audit()
    pristine = frames(auditBytes)
    expect(pristine.map((f) => f.payload.seq)).to.deep.equal(pristine.map((_, i) => i))
    expect(pristine).to.have.length(13)
    expect(pristine.every((f) => f.payload.sealed)).to.equal(true)
  })

  after(() => home?.cleanup())

  it('a flipped byte in a sealed record before the anchor: verify exits 5 naming its seq; ordinary commands still pass (O(1) anchor check)', async () => {
    const target = pristine[6]
    const typeAt = auditBytes.indexOf('"type":"grant.approve"', target.payloadStart) + '"type":"grant.app'.length
    expect(typeAt).to.be.within(target.payloadStart, target.payloadStart + target.payloadLength)

    // (a) a raw flip: the frame check fails; (b) the flip with the frame check recomputed: only the MAC catches it
    for (const variant of ['raw flip', 'flip with a valid frame check']) {
      restore()
      const edited = Buffer.from(auditBytes)
      edited[typeAt] ^= 0x01 // 'r' -> 's': still valid JSON, still a plausible type
      if (variant !== 'raw flip') fixCheck(edited, target)
      writeFileSync(`${home.vault}.audit`, edited)
      const [verify, verifyJson, status] = await Promise.all([
        cv(home, ['audit', 'verify'], {env: session}),
        cv(home, ['audit', 'verify', '--json'], {env: session}),
        cv(home, ['status'], {env: session}),
      ])
      const approve = await cv(home, ['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference', '--reason', 'after-flip'], {env: session})
      expectExit(verify, 5, `${variant}: verify`)
      expect(verify.stderr).to.match(/^codex-vault: audit log verification failed at record 6\b/)
      if (variant !== 'raw flip') expect(verify.stderr).to.match(/seal \(MAC\) does not verify/)
      expectExit(verifyJson, 5, `${variant}: verify --json`)
      const doc = JSON.parse(verifyJson.stdout)
      expect(doc.status).to.equal(5)
      expect(doc.error.code).to.equal('INTEGRITY')
      expect(doc.error.message).to.match(/record 6\b/)
      expect(doc.error.details.report).to.include({ok: false, firstBadSeq: 6, failure: 'integrity'})
      expectExit(status, 0, `${variant}: status`)
      expectExit(approve, 0, `${variant}: a state change appends after the damage`)
      // and the damage is still reported after that append
      if (variant !== 'raw flip') expectExit(await cv(home, ['audit', 'verify'], {env: session}), 5, `${variant}: verify after append`)
    }

    // the same edit in the anchored (last) record is caught by every authenticated command
    restore()
    const anchored = pristine.at(-1)!
    const edited = Buffer.from(auditBytes)
    edited[edited.indexOf('"type":"grant.approve"', anchored.payloadStart) + '"type":"grant.app'.length] ^= 0x01
    fixCheck(edited, anchored)
    writeFileSync(`${home.vault}.audit`, edited)
    const status = expectExit(await cv(home, ['status'], {env: session}), 10, 'edited anchor: status')
    expect(status.stderr).to.match(/audit log truncated, rolled back or edited: .*seq 12/)
  })

  it('deleting the last 1, 2 or 10 records: every authenticated command exits 10 (and says so)', async () => {
    for (const cut of [1, 2, 10]) {
      restore()
      const keep = pristine[pristine.length - cut].offset
      truncateSync(`${home.vault}.audit`, keep)
      const runs = await Promise.all([
        cv(home, ['status'], {env: session}),
        cv(home, ['secret', 'list'], {env: session}),
        cv(home, ['run', '--asset', 'shop', '--dry-run'], {env: session}),
        cv(home, ['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference'], {env: session}),
        ...(cut === 1 ? [cv(home, ['status', '--passphrase-stdin'], {input: passphrase})] : []),
        ...(cut === 10 ? [cv(home, ['audit', 'verify', '--json'], {env: session})] : []),
      ])
      runs.forEach((result, i) => {
        expectExit(result, 10, `cut ${cut}, command #${i}`)
        expect(result.stderr + result.stdout, `cut ${cut}, command #${i}`).to.match(/truncated, rolled back or edited|verification failed/)
      })
      // verify walks the log itself and names where it stops (after any denials the others appended)
      if (cut === 10) expect(JSON.parse(runs.at(-1)!.stdout).error).to.include({code: 'ROLLBACK'}).and.have.property('message').that.matches(/failed at record \d+: the log ends before the anchored record \(seq 12\)/)
      // the vault was not touched, and each denial left one unsealed record after the cut (verify only reads)
      expect(readFileSync(home.vault).equals(vaultBytes)).to.equal(true)
      const after = frames(audit())
      expect(after.slice(0, pristine.length - cut).map((f) => f.payload.seq)).to.deep.equal(pristine.slice(0, -cut).map((f) => f.payload.seq))
      const added = after.slice(pristine.length - cut)
      const denials = runs.length - (cut === 10 ? 1 : 0)
      expect(added.map((f) => [f.payload.type, f.payload.sealed])).to.deep.equal(Array.from({length: denials}, () => ['audit.rollback', false]))
    }
  })

  it('restoring an older vault file beside a newer log: every authenticated command exits 10', async () => {
    restore()
    for (const reason of ['one', 'two', 'three']) {
      expectExit(await cv(home, ['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference', '--reason', reason], {env: session}), 0, 'state change')
    }
    expect(frames(audit())).to.have.length(pristine.length + 3)
    writeFileSync(home.vault, vaultBytes) // the old vault, the newer log
    const runs = await Promise.all([
      cv(home, ['status'], {env: session}),
      cv(home, ['secret', 'list'], {env: session}),
      cv(home, ['run', '--asset', 'shop', '--dry-run', '--json'], {env: session}),
      cv(home, ['audit', 'verify'], {env: session}),
    ])
    runs.forEach((result, i) => expectExit(result, 10, `old vault, command #${i}`))
    expect(runs[0].stderr).to.match(/vault is older than its audit log/)
    expect(JSON.parse(runs[2].stdout)).to.include({status: 10})
    expect(JSON.parse(runs[2].stdout).error.code).to.equal('ROLLBACK')
  })

  it('log unwritable (a directory in its place) or missing: state changes exit 8 / 10 and the vault is unchanged', async () => {
    restore()
    const live = `${home.vault}.audit`
    renameSync(live, `${live}.moved`)
    mkdirSync(live)
    const value = randomCanary()
    secrets.push(value)
    const [approve, set] = await Promise.all([
      cv(home, ['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference'], {env: session}),
      cv(home, ['secret', 'set', 'anthropic', '--force'], {env: session, input: value}),
    ])
    // exit 8 (AUDIT_UNAVAILABLE): the boot-time anchor check cannot open the log as a regular file
    // (EISDIR), so the command is refused before any transaction starts
    for (const result of [approve, set]) {
      expectExit(result, 8, 'log is a directory')
      expect(result.stderr).to.match(/^codex-vault: cannot read the audit log .*vault\.cv\.audit \(EISDIR\); the action was refused/)
      assertNoCanary(result.stderr, secrets, 'stderr')
    }
    expect(readFileSync(home.vault).equals(vaultBytes), 'vault bytes unchanged').to.equal(true)

    // no log at all (deleted): the anchored record is gone, which is a rollback
    rmSync(live, {recursive: true})
    const missing = expectExit(await cv(home, ['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference'], {env: session}), 10, 'log deleted')
    expect(missing.stderr).to.match(/segment holding the anchored record \(seq 12\) is missing/)
    expect(readFileSync(home.vault).equals(vaultBytes), 'vault bytes unchanged').to.equal(true)

    rmSync(live, {force: true}) // the unsealed denial above recreated it
    renameSync(`${live}.moved`, live)
    expectExit(await cv(home, ['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference'], {env: session}), 0, 'log back in place')
  })

  it('disk full (ENOSPC on a 256 KiB tmpfs): grant approve and secret set exit 8, vault and log unchanged, then recover', async function () {
    restore()
    const probe = await inNamespace(`mount -t tmpfs -o size=64k tmpfs "$1" && echo MOUNT ok`, [home.dir], process.env, 10_000)
    if (!/MOUNT ok/.test(probe.stdout)) {
      console.log(`      skipped: unshare -rm / mount tmpfs not permitted here (${(probe.stderr || `exit ${probe.code}`).trim()})`)
      this.skip()
    }
    const mountPoint = `${home.dir}/tmpfs`
    mkdirSync(mountPoint)
    const value = randomCanary()
    secrets.push(value)
    // records bigger than any slack left in the log's last page, so the append must allocate and fail
    const script = `${TMPFS_PROLOGUE}
BIG=$(head -c 4000 /dev/zero | tr '\\0' r)
echo "VAULT0 $(sum "$V")"; echo "AUDIT0 $(sum "$A")"
dd if=/dev/zero of="$M/filler" bs=4096 2>/dev/null
echo "FREE $(df -k --output=avail "$M" | tail -1 | tr -d ' ')"
cv grant approve --asset shop --capability ai.openai.inference --reason "$BIG" >/dev/null 2>"$E/e1"; echo "RC_APPROVE $?"
echo "ERR_APPROVE $(head -1 "$E/e1")"
printf %s "$VALUE" | cv secret set anthropic --force --name="$BIG" >/dev/null 2>"$E/e2"; echo "RC_SET $?"
echo "ERR_SET $(head -1 "$E/e2")"
echo "VAULT1 $(sum "$V")"; echo "AUDIT1 $(sum "$A")"
rm -f "$M/filler"
cv grant approve --asset shop --capability ai.openai.inference --reason after-enospc >/dev/null 2>&1; echo "RC_AFTER $?"
cv audit verify >/dev/null 2>&1; echo "RC_VERIFY $?"
cv audit tail -n 2 --json | tr -d '\\n'; echo
`
    const run = await inNamespace(script, [mountPoint, `${home.dir}/data`, BIN, home.dir], {...process.env, ...home.env, ...session, VALUE: value})
    const m = marks(run.stdout)
    const context = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`
    expect(m.MOUNT, context).to.equal(undefined)
    expect(Number(m.FREE), context).to.equal(0)
    expect(m.RC_APPROVE, context).to.equal('8')
    expect(m.ERR_APPROVE, context).to.match(/^codex-vault: cannot append to the audit log .* \(ENOSPC\); the action was refused/)
    expect(m.RC_SET, context).to.equal('8')
    expect(m.ERR_SET, context).to.match(/\(ENOSPC\)/)
    expect(m.VAULT1, 'vault unchanged').to.equal(m.VAULT0)
    expect(m.AUDIT1, 'a failed append leaves no partial record').to.equal(m.AUDIT0)
    expect(m.RC_AFTER, context).to.equal('0')
    expect(m.RC_VERIFY, context).to.equal('0')
    assertNoCanary(run.stdout + run.stderr, secrets, 'namespace output')
  })

  it('disk full while the vault is written (audit append fit in page slack): refused without exit 1, and the vault stays usable', async function () {
    restore()
    const mountPoint = `${home.dir}/tmpfs2`
    mkdirSync(mountPoint)
    const script = `${TMPFS_PROLOGUE}
slack() { S=$(stat -c %s "$A"); echo $(( (4096 - S % 4096) % 4096 )); }
# make sure the next small record fits in the page the log already owns
if [ "$(slack)" -lt 700 ]; then cv grant approve --asset shop --capability ai.openai.inference --reason pad >/dev/null 2>&1; fi
echo "SLACK $(slack)"
echo "VAULT0 $(sum "$V")"
dd if=/dev/zero of="$M/filler" bs=4096 2>/dev/null
cv grant approve --asset shop --capability ai.openai.inference --reason small >/dev/null 2>"$E/e1"; echo "RC_APPROVE $?"
echo "ERR_APPROVE $(head -1 "$E/e1")"
cv grant approve --asset shop --capability ai.openai.inference --reason retry >/dev/null 2>"$E/e1"; echo "RC_RETRY $?"
echo "VAULT1 $(sum "$V")"
rm -f "$M/filler"
cv status >/dev/null 2>&1; echo "RC_STATUS $?"
cv audit verify >/dev/null 2>&1; echo "RC_VERIFY $?"
`
    const run = await inNamespace(script, [mountPoint, `${home.dir}/data`, BIN, home.dir], {...process.env, ...home.env, ...session})
    const m = marks(run.stdout)
    const context = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`
    if (m.MOUNT) this.skip()
    expect(Number(m.SLACK), context).to.be.at.least(700)
    expect(m.RC_APPROVE, context).to.not.be.oneOf(['0', '1'])
    expect(m.ERR_APPROVE, context).to.not.match(/internal error/)
    expect(m.RC_RETRY, context).to.not.be.oneOf(['0', '1'])
    expect(m.VAULT1, 'vault unchanged').to.equal(m.VAULT0)
    expect(m.RC_STATUS, `the vault must stay usable once space is back\n${context}`).to.equal('0')
    expect(m.RC_VERIFY, context).to.equal('0')
  })

  it('a torn trailing record after the anchor is repaired by the next state change (audit.repair record), and verify passes', async () => {
    restore()
    // a wrong passphrase leaves an unsealed denial after the anchor; cut it in half (an interrupted write)
    expectExit(await cv(home, ['unlock', '--raw', '--passphrase-stdin'], {input: randomCanary()}), 4, 'wrong passphrase')
    const withDenial = frames(audit())
    const denial = withDenial.at(-1)!
    expect([denial.payload.type, denial.payload.sealed]).to.deep.equal(['auth.deny', false])
    const cutAt = denial.offset + Math.floor(denial.size / 2)
    truncateSync(`${home.vault}.audit`, cutAt)

    const [status, verify] = await Promise.all([cv(home, ['status'], {env: session}), cv(home, ['audit', 'verify', '--json'], {env: session})])
    expectExit(status, 0, 'a torn tail is not an error for reads')
    expect(JSON.parse(expectExit(verify, 0, 'verify with torn tail').stdout).result).to.include({ok: true, tornTail: true, records: pristine.length})

    expectExit(await cv(home, ['grant', 'approve', '--asset', 'shop', '--capability', 'ai.openai.inference', '--reason', 'repairs'], {env: session}), 0, 'state change')
    let records = await tailJson(home, session, ['-n', '3'])
    expect(records.map((r) => r.type)).to.deep.equal(['grant.approve', 'audit.repair', 'grant.approve'])
    const repair = records[1]
    expect(repair.seq).to.equal(pristine.length) // the torn denial's seq is reused: it never became a record
    expect(repair.sealed).to.equal(true)
    expect(repair.data).to.deep.include({segment: 0, offset: denial.offset, bytes: cutAt - denial.offset})
    expect(records[2].reason ?? records[2].data?.reason).to.equal('repairs')

    // a partial header ("CVA1" + a length, nothing else) is a torn write too
    writeFileSync(`${home.vault}.audit`, Buffer.concat([audit(), Buffer.from('CVA1'), Buffer.from([0x40, 0x01, 0, 0]), Buffer.from('{"seq"')]))
    expectExit(await cv(home, ['asset', 'disable', 'shop'], {env: session}), 0, 'state change')
    records = await tailJson(home, session, ['-n', '2'])
    expect(records.map((r) => r.type)).to.deep.equal(['audit.repair', 'asset.disable'])
    expect(records[0].data).to.deep.include({bytes: 14})
    const ok = expectExit(await cv(home, ['audit', 'verify'], {env: session}), 0, 'verify after repairs')
    expect(ok.stdout).to.not.match(/torn/)

    // bytes that cannot be the start of a record are damage, not an interrupted write: refused
    // (verify, which tells damage from missing records, exits 5)
    writeFileSync(`${home.vault}.audit`, Buffer.concat([audit(), Buffer.from('garbage')]))
    const [refused, verifyBad] = await Promise.all([
      cv(home, ['asset', 'enable', 'shop'], {env: session}),
      cv(home, ['audit', 'verify'], {env: session}),
    ])
    expectExit(refused, 10, 'garbage tail')
    expectExit(verifyBad, 5, 'verify garbage tail')
  })
})
