/**
 * CRC-32 (IEEE) for the 4-byte frame check. It only has to tell a torn or garbled frame from a whole
 * one; tamper evidence comes from the hash chain, the MACs and the vault's anchor.
 *
 * Node >= 20.15 has a native zlib.crc32 (same polynomial, init and final xor), about twice as fast
 * as the table loop on a ~350-byte record even counting the view it needs; `audit verify` runs it
 * once per record. engines allows 20.9, so older runtimes keep the table version. zlib costs ~3 ms
 * to load, so only verify loads it (useNativeCrc32); every other command checks a record or two.
 */
import {createRequire} from 'node:module'

const TABLE = (() => {
  const table = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c
  }
  return table
})()

/** The portable version; exported so a test can hold the native one to it. */
export function crc32Table(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = -1
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8)
  return (crc ^ -1) >>> 0
}

type NativeCrc32 = (data: Uint8Array, value?: number) => number
let nativeCrc32: NativeCrc32 | undefined

/** Switch crc32 to the native zlib.crc32 where the runtime has it; returns whether it is in use. */
export function useNativeCrc32(): boolean {
  if (nativeCrc32 === undefined) {
    const native = (createRequire(import.meta.url)('node:zlib') as {crc32?: NativeCrc32}).crc32
    if (typeof native === 'function') nativeCrc32 = native
  }
  return nativeCrc32 !== undefined
}

/** CRC-32 of buf[start, end) as an unsigned 32-bit number. */
export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  // a plain Uint8Array view is cheaper to make than Buffer#subarray (no Buffer prototype setup)
  return nativeCrc32 ? nativeCrc32(new Uint8Array(buf.buffer, buf.byteOffset + start, end - start)) : crc32Table(buf, start, end)
}
