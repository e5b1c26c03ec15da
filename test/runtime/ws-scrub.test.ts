import {randomBytes, randomInt} from 'node:crypto'

import {expect} from 'chai'

import {redactAll} from '../../src/runtime/redactor.js'

import {createWebSocketScrubber, encodeFrame} from '../../src/runtime/ws-scrub.js'
import {canary} from './helpers.js'

interface Frame {fin: boolean; opcode: number; payload: Buffer}

/** Parses a client's view of the stream: unmasked frames, back to back. */
function parseFrames(data: Buffer): Frame[] {
  const frames: Frame[] = []
  let offset = 0
  while (offset < data.length) {
    const fin = (data[offset] & 0x80) !== 0
    const opcode = data[offset] & 0x0f
    expect(data[offset + 1] & 0x80, 'frames to a client are not masked').to.equal(0)
    let length = data[offset + 1] & 0x7f
    let start = offset + 2
    if (length === 126) {
      length = data.readUInt16BE(offset + 2)
      start = offset + 4
    } else if (length === 127) {
      length = Number(data.readBigUInt64BE(offset + 2))
      start = offset + 10
    }
    frames.push({fin, opcode, payload: data.subarray(start, start + length)})
    offset = start + length
  }
  return frames
}

/** Data messages (fragments joined) and control frames, in order. */
function messages(frames: Frame[]): {opcode: number; text: string}[] {
  const out: {opcode: number; text: string}[] = []
  let current: {opcode: number; parts: Buffer[]} | null = null
  for (const frame of frames) {
    if (frame.opcode >= 8) {
      out.push({opcode: frame.opcode, text: frame.payload.toString()})
      continue
    }
    if (current === null) {
      expect(frame.opcode, 'a message starts with text or binary').to.be.oneOf([1, 2])
      current = {opcode: frame.opcode, parts: []}
    } else expect(frame.opcode, 'then continuations').to.equal(0)
    current.parts.push(frame.payload)
    if (frame.fin) {
      out.push({opcode: current.opcode, text: Buffer.concat(current.parts).toString()})
      current = null
    }
  }
  expect(current, 'no message left open').to.equal(null)
  return out
}

/** Feeds `input` to a scrubber in pieces of `size` bytes and collects what comes out. */
async function scrub(secrets: {env: string; value: string}[], input: Buffer, size = input.length): Promise<Buffer> {
  const scrubber = createWebSocketScrubber(secrets)
  const out: Buffer[] = []
  scrubber.on('data', (chunk: Buffer) => out.push(chunk))
  const ended = new Promise<void>((resolve, reject) => {
    scrubber.on('end', resolve)
    scrubber.on('error', reject)
  })
  for (let i = 0; i < input.length; i += size) scrubber.write(input.subarray(i, i + size))
  scrubber.end()
  await ended
  return Buffer.concat(out)
}

function masked(fin: boolean, opcode: number, payload: Buffer): Buffer {
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78])
  const frame = encodeFrame(fin, opcode, payload)
  const headerLength = frame.length - payload.length
  const body = Buffer.from(payload).map((byte, i) => byte ^ mask[i & 3])
  const header = Buffer.from(frame.subarray(0, headerLength))
  header[1] |= 0x80
  return Buffer.concat([header, mask, body])
}

describe('runtime/ws-scrub', () => {
  const key = canary()
  const secrets = [{env: 'OPENAI_API_KEY', value: key}]

  it('masks a key in a text message, whatever the TCP reads, with control frames passed whole', async () => {
    const input = Buffer.concat([
      encodeFrame(true, 1, Buffer.from(JSON.stringify({type: 'error', message: `bad key ${key}`}))),
      encodeFrame(true, 9, Buffer.from('ping!')),
      encodeFrame(true, 2, Buffer.from(`bin:${Buffer.from(key).toString('base64')}`)),
      encodeFrame(true, 8, Buffer.from([0x03, 0xe8])),
    ])
    for (const size of [input.length, 1, 7, 64]) {
      const out = await scrub(secrets, input, size)
      expect(out.includes(key), `reads of ${size}`).to.equal(false)
      const got = messages(parseFrames(out))
      expect(got.map((m) => m.opcode)).to.deep.equal([1, 9, 2, 8])
      expect(JSON.parse(got[0].text)).to.deep.equal({type: 'error', message: 'bad key [REDACTED:OPENAI_API_KEY]'})
      expect(got[1].text).to.equal('ping!')
      expect(got[2].text).to.equal('bin:[REDACTED:OPENAI_API_KEY]')
    }
  })

  it('masks a key split across the fragments of one message, and keeps the message\'s opcode', async () => {
    const half = Math.floor(key.length / 2)
    const input = Buffer.concat([
      encodeFrame(false, 2, Buffer.from(`one ${key.slice(0, half)}`)),
      encodeFrame(true, 10, Buffer.from('pong')), // a control frame between fragments
      encodeFrame(false, 0, Buffer.from('')),
      encodeFrame(true, 0, Buffer.from(`${key.slice(half)} two`)),
      encodeFrame(true, 1, Buffer.from('no key here')),
    ])
    const got = messages(parseFrames(await scrub(secrets, input, 3)))
    expect(got).to.deep.equal([
      {opcode: 10, text: 'pong'},
      {opcode: 2, text: 'one [REDACTED:OPENAI_API_KEY] two'},
      {opcode: 1, text: 'no key here'},
    ])
  })

  it('handles 16- and 64-bit lengths and masked frames', async () => {
    const big = `${'a'.repeat(70_000)}${key}${'b'.repeat(100)}`
    const input = Buffer.concat([encodeFrame(true, 1, Buffer.from(`${'x'.repeat(300)}${key}`)), encodeFrame(true, 1, Buffer.from(big)), masked(true, 1, Buffer.from(`m ${key}`))])
    expect(input[1] & 0x7f).to.equal(126)
    const got = messages(parseFrames(await scrub(secrets, input, 4096)))
    expect(got.map((m) => m.text)).to.deep.equal([`${'x'.repeat(300)}[REDACTED:OPENAI_API_KEY]`, big.replace(key, '[REDACTED:OPENAI_API_KEY]'), 'm [REDACTED:OPENAI_API_KEY]'])
  })

  it('property: random messages, fragmentations, interleaved pings and read sizes give each message exactly as redactAll would', async () => {
    for (let round = 0; round < 40; round++) {
      const secrets = Array.from({length: 1 + randomInt(3)}, (_, i) => ({env: `SECRET_${i}`, value: canary()}))
      const forms = (value: string) => [value, Buffer.from(value).toString('base64'), encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]
      const expected: {opcode: number; text: string}[] = []
      const frames: Buffer[] = []
      for (let m = 0; m < 1 + randomInt(5); m++) {
        const parts: string[] = []
        for (let k = 0; k < randomInt(6); k++) {
          const secret = secrets[randomInt(secrets.length)].value
          const kind = randomInt(3)
          parts.push(kind === 0 ? forms(secret)[randomInt(4)] : kind === 1 ? `${secret.slice(0, 1 + randomInt(30))}#` : randomBytes(randomInt(300)).toString('hex'))
        }
        const message = Buffer.from(parts.join(''))
        const opcode = 1 + randomInt(2)
        expected.push({opcode, text: redactAll(secrets, message).toString()})
        // cut the message into 1-4 fragments, with a ping now and then between them
        const cuts = Array.from({length: randomInt(4)}, () => randomInt(message.length + 1)).sort((a, b) => a - b)
        const bounds = [0, ...cuts, message.length]
        for (let f = 0; f + 1 < bounds.length; f++) {
          if (f > 0 && randomInt(3) === 0) frames.push(encodeFrame(true, 9, Buffer.from('p')))
          const fin = f + 2 === bounds.length
          frames.push(encodeFrame(fin, f === 0 ? opcode : 0, message.subarray(bounds[f], bounds[f + 1])))
        }
      }
      const out = await scrub(secrets, Buffer.concat(frames), 1 + randomInt(200))
      for (const {value} of secrets) expect(out.includes(value), `round ${round}: a raw secret got through`).to.equal(false)
      expect(messages(parseFrames(out)).filter((m) => m.opcode < 8), `round ${round}`).to.deep.equal(expected)
    }
  })

  it('refuses a frame it cannot scrub (an extension bit, as compression sets), rather than pass it', async () => {
    const compressed = encodeFrame(true, 1, Buffer.from(key))
    compressed[0] |= 0x40
    let error: Error | undefined
    try {
      await scrub(secrets, compressed)
    } catch (caught) {
      error = caught as Error
    }
    expect(error?.message).to.include('cannot be scrubbed')
  })
})
