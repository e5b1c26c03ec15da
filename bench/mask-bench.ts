// Masking throughput on 100 MB of output. Run: cd /work/main && node --import tsx bench/mask-bench.ts < /dev/null | cat > /dev/null
// (results go to stderr). (1) Redactor.push alone vs a passthrough, in memory; (2) a child writing 100 MB through
// runChild with mask null (the child owns the fd), mask [] (piped through us, nothing to find) and a mask of three
// 40-char secrets, first into /dev/null (free for the direct child: the harshest baseline), then into our stdout
// when it is a pipe to a reader, which is what masking is for.
import {randomBytes} from 'node:crypto'
import {createWriteStream, openSync} from 'node:fs'
import {Readable, Transform, Writable} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import {runChild} from '../src/runtime/child.js'
import {createRedactStream, Redactor, type MaskSecret} from '../src/runtime/redactor.js'

const TOTAL = 100 * 1024 * 1024
const CHUNK = 64 * 1024
const secrets: MaskSecret[] = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY'].map((env) => ({env, value: randomBytes(30).toString('base64')}))

// base64 text: every byte can start some form, the unfavourable case for the tail check
const block = Buffer.from(randomBytes((CHUNK * 3) / 4).toString('base64'))
const chunks = Array.from({length: TOTAL / CHUNK}, () => block)

function mbps(bytes: number, ms: number): number {
  return Math.round((bytes / 1024 / 1024 / ms) * 1000)
}

function timeIt(fn: () => void): number {
  const t = performance.now()
  fn()
  return performance.now() - t
}

async function streamThrough(transform: Transform): Promise<number> {
  const t = performance.now()
  await pipeline(Readable.from(chunks), transform, new Writable({write: (_c, _e, cb) => cb()}))
  return performance.now() - t
}

const report: Record<string, unknown> = {}

// (1) in memory
let sink = 0
const redactor = new Redactor(secrets)
const push = timeIt(() => {
  for (const c of chunks) sink += redactor.push(c).length
  sink += redactor.flush().length
})
report.redactorPushMBps = mbps(TOTAL, push)
const passMs = await streamThrough(new Transform({transform: (c, _e, cb) => cb(null, c)}))
const maskMs = await streamThrough(createRedactStream(secrets))
report.streamPassthroughMBps = mbps(TOTAL, passMs)
report.streamRedactMBps = mbps(TOTAL, maskMs)
report.streamRatio = +(passMs / maskMs).toFixed(2)

// (2) end to end through runChild
const childScript = `const b = Buffer.from(require('crypto').randomBytes(${(CHUNK * 3) / 4}).toString('base64'));
let left = ${TOTAL / CHUNK}; const out = require('fs'); (function go() { while (left > 0) { left--; if (!process.stdout.write(b)) return process.stdout.once('drain', go) } })()`
async function endToEnd(mask: MaskSecret[] | null, sink: NodeJS.WriteStream): Promise<number> {
  const outcome = await runChild({command: process.execPath, args: ['-e', childScript], env: process.env as Record<string, string>, mask, stdin: process.stdin, stdout: sink, stderr: process.stderr})
  return outcome.durationMs
}
const best = (xs: number[]) => Math.min(...xs)
const sinks: [string, () => NodeJS.WriteStream][] = [['devnull', () => createWriteStream('', {fd: openSync('/dev/null', 'w')}) as unknown as NodeJS.WriteStream]]
if (!process.stdout.isTTY) sinks.push(['stdoutPipe', () => process.stdout])
for (const [name, open] of sinks) {
  const runs = {direct: [] as number[], piped: [] as number[], masked: [] as number[]}
  for (let i = 0; i < 3; i++) {
    runs.direct.push(await endToEnd(null, open()))
    runs.piped.push(await endToEnd([], open()))
    runs.masked.push(await endToEnd(secrets, open()))
  }
  report[name] = {
    directMs: best(runs.direct),
    pipedNoSecretsMs: best(runs.piped),
    maskedMs: best(runs.masked),
    maskedMBps: mbps(TOTAL, best(runs.masked)),
    ratioMaskedVsDirect: +(best(runs.direct) / best(runs.masked)).toFixed(2),
    ratioMaskedVsPiped: +(best(runs.piped) / best(runs.masked)).toFixed(2),
  }
}
report.sink = sink
console.error(JSON.stringify(report, null, 2))
process.stdin.destroy()
