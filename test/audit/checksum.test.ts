import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {expect} from 'chai'

import {crc32, crc32Table, useNativeCrc32} from '../../src/audit/checksum.js'
import {AuditLog} from '../../src/audit/log.js'
import {event, randomKey, recordOffsets, removeDir, tempDir} from './helpers.js'

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures')

describe('audit frame checksum', () => {
  it('uses the native zlib.crc32 on this Node', () => {
    // Node >= 20.15 has it; engines allows 20.9, where the table version takes over
    const [major, minor] = process.versions.node.split('.').map(Number)
    expect(useNativeCrc32()).to.equal(major > 20 || (major === 20 && minor >= 15))
  })

  it('is CRC-32/IEEE: the standard check value', () => {
    const data = Buffer.from('123456789')
    expect(crc32(data)).to.equal(0xcbf43926)
    expect(crc32Table(data)).to.equal(0xcbf43926)
    expect(crc32(Buffer.alloc(0))).to.equal(0)
  })

  it('matches the table version on the fixtures, at every offset and length', () => {
    for (const name of fs.readdirSync(fixtures)) {
      const bytes = fs.readFileSync(path.join(fixtures, name))
      expect(crc32(bytes), name).to.equal(crc32Table(bytes))
      for (let start = 0; start < bytes.length; start += 7) {
        for (const end of [start, start + 1, start + 13, bytes.length]) {
          if (end <= bytes.length) expect(crc32(bytes, start, end), `${name} [${start}, ${end})`).to.equal(crc32Table(bytes, start, end))
        }
      }
    }
  })

  it('matches the table version on random data, including views into a larger buffer', () => {
    const pool = randomBytes(70_000)
    for (let n = 0; n < 500; n++) {
      const start = Math.floor(Math.random() * 1000)
      const end = start + Math.floor(Math.random() * (n % 10 === 0 ? 66_000 : 600))
      expect(crc32(pool, start, end)).to.equal(crc32Table(pool, start, end))
      const view = pool.subarray(start, end)
      expect(crc32(view)).to.equal(crc32Table(pool, start, end))
    }
  })

  it('agrees with the checks stored in a written log', () => {
    const dir = tempDir()
    try {
      const file = path.join(dir, 'vault.cv.audit')
      const log = new AuditLog({path: file})
      const key = randomKey()
      for (let i = 0; i < 50; i++) log.append(event(i, {reason: `ünïcödé ${'x'.repeat(i * 20)}`}), i % 4 === 0 ? null : key)
      const bytes = fs.readFileSync(file)
      for (const offset of recordOffsets(file)) {
        const length = bytes.readUInt32LE(offset + 4)
        const checkAt = offset + 8 + length + 32 + 4
        expect(crc32Table(bytes, offset, checkAt)).to.equal(bytes.readUInt32LE(checkAt))
        expect(crc32(bytes, offset, checkAt)).to.equal(bytes.readUInt32LE(checkAt))
      }
    } finally {
      removeDir(dir)
    }
  })
})
