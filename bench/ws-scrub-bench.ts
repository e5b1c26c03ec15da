// Throughput of the WebSocket message scrubber (src/runtime/ws-scrub.ts) against the body redactor
// on the same bytes: 100 MB of 64 KiB base64 text frames with no key in them, fed as whole frames
// and as 1,400-byte reads (one TCP segment each), best of 3. Results go to stderr as JSON.
// Run: cd /work/main && node --import tsx bench/ws-scrub-bench.ts
import {randomBytes} from 'node:crypto'
import type {Transform} from 'node:stream'

import {createRedactStream} from '../src/runtime/redactor.js'
import {createWebSocketScrubber, encodeFrame} from '../src/runtime/ws-scrub.js'

const secrets = [{env: 'OPENAI_API_KEY', value: `sk-proj-${randomBytes(60).toString('base64url')}`}]
const frame = encodeFrame(true, 1, Buffer.from(randomBytes(48 * 1024).toString('base64')))
const stream = Buffer.concat(Array.from({length: 1600}, () => frame))

async function mbps(make: () => Transform, readSize: number): Promise<number> {
  let best = Infinity
  for (let round = 0; round < 3; round++) {
    const transform = make()
    transform.on('data', () => {})
    const ended = new Promise((resolve) => transform.on('end', resolve))
    const started = performance.now()
    for (let offset = 0; offset < stream.length; offset += readSize) transform.write(stream.subarray(offset, offset + readSize))
    transform.end()
    await ended
    best = Math.min(best, performance.now() - started)
  }
  return Math.round((stream.length / 1048576 / best) * 1000)
}

const report = {
  wsScrubWholeFramesMBps: await mbps(() => createWebSocketScrubber(secrets), frame.length),
  wsScrub1400ByteReadsMBps: await mbps(() => createWebSocketScrubber(secrets), 1400),
  bodyRedactWholeFramesMBps: await mbps(() => createRedactStream(secrets), frame.length),
  bodyRedact1400ByteReadsMBps: await mbps(() => createRedactStream(secrets), 1400),
}
console.error(JSON.stringify(report, null, 2))
