import {expect} from 'chai'
import {isVaultError} from '../../src/cli/errors.js'
import {formatBytes, parseFileSize, renderSkips, uncheckedWarning} from '../../src/cli/scan-command.js'
import type {ScanResult} from '../../src/ingest/scan.js'

type Stats = ScanResult['stats']

function stats(skipped: Stats['skipped'], extra: Partial<Stats> = {}): Stats {
  const skippedByReason: Stats['skippedByReason'] = {}
  for (const s of skipped) skippedByReason[s.reason] = (skippedByReason[s.reason] ?? 0) + 1
  return {files: 3, bytes: 100, leakOnly: 0, skipped, skippedTotal: skipped.length, skippedByReason, ms: 1, ...extra}
}

describe('scan command helpers', () => {
  it('reads --max-file-size in bytes or binary units, from 1 byte to 256 MiB', () => {
    expect(parseFileSize('2M')).to.equal(2 * 1024 * 1024)
    expect(parseFileSize('512k')).to.equal(512 * 1024)
    expect(parseFileSize('16MiB')).to.equal(16 * 1024 * 1024)
    expect(parseFileSize('1.5MB')).to.equal(1.5 * 1024 * 1024)
    expect(parseFileSize('3000')).to.equal(3000)
    expect(parseFileSize('256M')).to.equal(256 * 1024 * 1024)
    for (const bad of ['0', '', 'big', '-1M', '257M', '1G', '2 T']) {
      let error: unknown
      try {
        parseFileSize(bad)
      } catch (caught) {
        error = caught
      }
      expect(isVaultError(error) && error.code, bad).to.equal('INVALID_INPUT')
    }
    expect(formatBytes(2 * 1024 * 1024)).to.equal('2 MiB')
    expect(formatBytes(3.5 * 1024 * 1024)).to.equal('3.5 MiB')
    expect(formatBytes(900)).to.equal('900 bytes')
  })

  it('lists what was not scanned, those that could hold a key first, capped', () => {
    const skipped: Stats['skipped'] = [
      {file: 'a-link', reason: 'symlink'},
      {file: 'node_modules/', reason: 'dependencies'},
      {file: 'big.js', reason: 'too-large', detail: `${3 * 1024 * 1024} bytes`},
      {file: 'locked/', reason: 'unreadable', detail: 'EACCES'},
      {file: 'data.bin.js', reason: 'binary'},
    ]
    expect(renderSkips(stats([]))).to.deep.equal([])
    const lines = renderSkips(stats(skipped), 4).map((l) => l.replace(/\u001B\[[0-9;]*m/g, ''))
    expect(lines).to.deep.equal([
      'not scanned: 5 (1 too large, 1 unreadable, 1 binary, 1 dependency folder, 1 symlink)',
      '  SKIP big.js  too large (3 MiB)',
      '  SKIP locked/  unreadable (EACCES)',
      '  SKIP data.bin.js  binary',
      '  SKIP a-link  symlink (not followed)',
      '  … 1 more (--json lists them)',
    ])
  })

  it('warns for --fail-on-leak only when files that could hold a key were not read, saying why and what to do', () => {
    expect(uncheckedWarning(stats([{file: 'a-link', reason: 'symlink'}, {file: 'node_modules/', reason: 'dependencies'}]))).to.equal(undefined)
    const warning = uncheckedWarning(stats([
      {file: 'big.js', reason: 'too-large', detail: '3145728 bytes'},
      {file: 'big2.js', reason: 'too-large', detail: '3145728 bytes'},
      {file: 'locked/', reason: 'unreadable', detail: 'EACCES'},
      {file: 'x.js', reason: 'binary'},
    ]), 1024 * 1024)
    expect(warning).to.equal(
      '--fail-on-leak: 4 file(s) that could hold a hard-coded secret were not checked: 2 over the 1 MiB size limit (raise it with --max-file-size); ' +
        '1 unreadable (check their permissions); 1 binary (never searched): big.js, big2.js, locked/, …',
    )
  })
})
