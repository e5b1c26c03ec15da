/**
 * CRC-32 (IEEE) for the 4-byte frame check. It only has to tell a torn or garbled frame from a whole
 * one; tamper evidence comes from the hash chain, the MACs and the vault's anchor. A plain table CRC
 * costs a fraction of a native BLAKE2b call per record, which is what keeps `audit verify` fast.
 */
const TABLE = (() => {
  const table = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c
  }
  return table
})()

/** CRC-32 of buf[start, end) as an unsigned 32-bit number. */
export function crc32(buf: Buffer, start = 0, end = buf.length): number {
  let crc = -1
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8)
  return (crc ^ -1) >>> 0
}
