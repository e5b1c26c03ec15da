/**
 * Scrubbing of a mediated WebSocket's server-to-client messages (RFC 6455 framing). The upstream's
 * frames are parsed as they stream in; every data message goes through a Redactor, so a key is
 * masked in any of its forms even when it is split across frames or TCP reads. Because masking
 * changes lengths, a data frame is re-sent as one fragment per piece that arrived (the RFC lets an
 * intermediary change the fragmentation of a message that uses no extension); control frames
 * (close, ping, pong) pass whole and unchanged. Compression would hide the bytes, so the handshake
 * offers no extension (mediator.ts) and a compressed or otherwise extended frame is a protocol
 * error: the connection is closed rather than forwarded unscrubbed.
 */
import {Transform, type TransformCallback} from 'node:stream'

import {type MaskSecret, Redactor} from './redactor.js'

const OPCODE_CONTINUATION = 0x0
const FIRST_CONTROL_OPCODE = 0x8

interface FrameHeader {
  fin: boolean
  opcode: number
  mask: Buffer | null
  length: number
  headerLength: number
}

/** The header at the start of `data`, or null while it is incomplete. Throws on what it cannot scrub. */
function readHeader(data: Buffer): FrameHeader | null {
  if (data.length < 2) return null
  const fin = (data[0] & 0x80) !== 0
  if ((data[0] & 0x70) !== 0) throw new Error('the provider sent a WebSocket frame with an extension (compression?) that cannot be scrubbed')
  const opcode = data[0] & 0x0f
  const masked = (data[1] & 0x80) !== 0
  let length = data[1] & 0x7f
  let offset = 2
  if (length === 126) {
    if (data.length < 4) return null
    length = data.readUInt16BE(2)
    offset = 4
  } else if (length === 127) {
    if (data.length < 10) return null
    const big = data.readBigUInt64BE(2)
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('the provider sent a WebSocket frame too large to scrub')
    length = Number(big)
    offset = 10
  }
  if (masked && data.length < offset + 4) return null
  const mask = masked ? Buffer.from(data.subarray(offset, offset + 4)) : null
  return {fin, opcode, mask, length, headerLength: offset + (masked ? 4 : 0)}
}

/** The header of an unmasked frame, as a server sends it. */
function frameHeader(fin: boolean, opcode: number, length: number): Buffer {
  const first = (fin ? 0x80 : 0) | opcode
  if (length < 126) return Buffer.from([first, length])
  if (length < 0x10000) {
    const header = Buffer.alloc(4)
    header[0] = first
    header[1] = 126
    header.writeUInt16BE(length, 2)
    return header
  }
  const header = Buffer.alloc(10)
  header[0] = first
  header[1] = 127
  header.writeBigUInt64BE(BigInt(length), 2)
  return header
}

/** An unmasked frame, as a server sends it. */
export function encodeFrame(fin: boolean, opcode: number, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(fin, opcode, payload.length), payload])
}

function unmask(piece: Buffer, mask: Buffer, offset: number): Buffer {
  const out = Buffer.from(piece)
  for (let i = 0; i < out.length; i++) out[i] ^= mask[(offset + i) & 3]
  return out
}

/** A Transform from the upstream's raw frames to scrubbed ones; it errors on a frame it cannot scrub. */
export function createWebSocketScrubber(secrets: MaskSecret[]): Transform {
  const redactor = new Redactor(secrets)
  let pending: Buffer = Buffer.alloc(0)
  /** the data frame being read: its header and how much of its payload has been passed on */
  let frame: (FrameHeader & {done: number}) | null = null
  /** the current data message's opcode (text or binary), from its first frame */
  let messageOpcode = 0x1
  /** set once a data message has sent its first fragment: the rest go out as continuations */
  let messageStarted = false

  const step = (out: Buffer[]): boolean => {
    if (frame === null) {
      const header = readHeader(pending)
      if (header === null) return false
      if (header.opcode >= FIRST_CONTROL_OPCODE) {
        const total = header.headerLength + header.length
        if (pending.length < total) return false
        out.push(pending.subarray(0, total))
        pending = pending.subarray(total)
        return true
      }
      pending = pending.subarray(header.headerLength)
      frame = {...header, done: 0}
      if (header.opcode !== OPCODE_CONTINUATION) messageOpcode = header.opcode
    }
    const take = Math.min(frame.length - frame.done, pending.length)
    const last = frame.done + take === frame.length
    if (take === 0 && !last) return false
    const raw = pending.subarray(0, take)
    const piece = frame.mask ? unmask(raw, frame.mask, frame.done) : raw
    pending = pending.subarray(take)
    frame.done += take
    const finishes = last && frame.fin
    // the payload's parts are passed on apart from their header: joining them would copy it again
    const payload = finishes ? [redactor.push(piece), redactor.flush()] : [redactor.push(piece)]
    const length = payload.reduce((sum, part) => sum + part.length, 0)
    if (length > 0 || finishes) {
      out.push(frameHeader(finishes, messageStarted ? OPCODE_CONTINUATION : messageOpcode, length), ...payload.filter((part) => part.length > 0))
      messageStarted = !finishes
    }
    if (last) frame = null
    return true
  }

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk
      const out: Buffer[] = []
      try {
        while (step(out)) { /* every complete piece */ }
      } catch (error) {
        return callback(error as Error)
      }
      for (const piece of out) this.push(piece)
      callback()
    },
  })
}
