import {lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {parseDotenv, parseDotenvFile, scrubDotenv} from '../../src/secrets/dotenv.js'
import {replaceDotenvFile} from '../../src/secrets/dotenv-file.js'
import {canary, expectVaultError} from './helpers.js'

const values = (text: string) => Object.fromEntries(parseDotenv(text).map((e) => [e.key, e.value]))

describe('parseDotenv', () => {
  it('parses plain, spaced, export and empty assignments', () => {
    expect(values('A=1\nB = two words \nexport C=3\n  export   D =4\nE=\nF= \nexport=x\nG.H-i=5\n')).to.deep.equal({
      A: '1', B: 'two words', C: '3', D: '4', E: '', F: '', export: 'x', 'G.H-i': '5',
    })
  })

  it('handles comments: full-line, inline after whitespace, and # inside values', () => {
    const text = '# header\n  # indented\nA=1 # note\nB=a#b\nC=#c\nD= # only a comment\nE="x # y" # z\nF=\'#\'\n'
    expect(values(text)).to.deep.equal({A: '1', B: 'a#b', C: '#c', D: '', E: 'x # y', F: '#'})
  })

  it('handles quotes: single literal, double with escapes, backticks', () => {
    const text = String.raw`S='a\nb "q" $HOME'` + '\n' + String.raw`D="a\nb\tc\"d\\e\$f\r"` + '\nB=`it\'s "x"`\nE=""\nQ=\'\'\n'
    expect(values(text)).to.deep.equal({
      S: String.raw`a\nb "q" $HOME`, D: 'a\nb\tc"d\\e\\$f\r', B: 'it\'s "x"', E: '', Q: '',
    })
  })

  it('handles multi-line quoted values and tracks lines and offsets', () => {
    const text = 'A=1\nKEY="-----BEGIN KEY-----\nline2\n-----END KEY-----"\nB=\'x\ny\'\nC=`p\n\nq`\nD=4'
    const entries = parseDotenv(text)
    expect(entries.map((e) => [e.key, e.line, e.endLine])).to.deep.equal([['A', 1, 1], ['KEY', 2, 4], ['B', 5, 6], ['C', 7, 9], ['D', 10, 10]])
    expect(entries[1].value).to.equal('-----BEGIN KEY-----\nline2\n-----END KEY-----')
    expect(entries[3].value).to.equal('p\n\nq')
    for (const entry of entries) {
      const span = text.slice(entry.start, entry.end)
      expect(span.startsWith(entry.key)).to.equal(true)
      expect(span.endsWith('\n') || entry.end === text.length).to.equal(true)
    }
  })

  it('handles CRLF files, including multi-line values, and a BOM', () => {
    const text = '\uFEFFA=1\r\nexport B="x\r\ny"\r\n# c\r\nC=\'z\' # c\r\nD=plain\r\n'
    const entries = parseDotenv(text)
    expect(entries.map((e) => [e.key, e.value, e.line, e.endLine])).to.deep.equal([
      ['A', '1', 1, 1], ['B', 'x\ny', 2, 3], ['C', 'z', 5, 5], ['D', 'plain', 6, 6],
    ])
    expect(text.slice(entries[1].start, entries[1].end)).to.equal('export B="x\r\ny"\r\n')
  })

  it('collects malformed lines as errors with line numbers and goes on, never quoting them', () => {
    const secret = canary()
    const text = `A=1\nJUST_A_NAME\n${secret} no equals\nB="unclosed ${secret}\nC=3\nD="x" trailing ${secret}\n1BAD=x\nE=5`
    const {entries, errors} = parseDotenvFile(text)
    expect(entries.map((e) => e.key)).to.deep.equal(['A', 'C', 'E'])
    expect(errors.map((e) => e.line)).to.deep.equal([2, 3, 4, 6, 7])
    expect(errors[0].message).to.include('missing "="')
    expect(errors[2].message).to.include('unclosed')
    expect(errors[3].message).to.include('after the closing quote')
    expect(JSON.stringify(errors)).not.to.include(secret)
  })

  it('keeps every assignment of a repeated key', () => {
    expect(parseDotenv('A=1\nA=2\n').map((e) => e.value)).to.deep.equal(['1', '2'])
  })
})

describe('scrubDotenv', () => {
  const text = '# keep me\nexport A=1\r\nSECRET="multi\nline ' + canary() + '"\n\nB=2 # inline\nSECRET2=zz\nC=3'

  it('removes exactly the named entries and keeps every other byte', () => {
    const out = scrubDotenv(text, new Set(['SECRET', 'SECRET2']), {marker: false})
    expect(out).to.equal('# keep me\nexport A=1\r\n\nB=2 # inline\nC=3')
  })

  it('leaves a marker comment in place by default, with the same line ending', () => {
    const out = scrubDotenv(text, new Set(['SECRET', 'C', 'A']))
    expect(out).to.equal('# keep me\n# A moved to codex-vault\r\n# SECRET moved to codex-vault\n\nB=2 # inline\nSECRET2=zz\n# C moved to codex-vault')
    expect(values(out)).to.deep.equal({B: '2', SECRET2: 'zz'})
  })

  it('removes every occurrence of a key and leaves malformed lines alone', () => {
    const out = scrubDotenv('K=1\nBROKEN\nK="2"\nL=3\n', new Set(['K', 'BROKEN']), {marker: false})
    expect(out).to.equal('BROKEN\nL=3\n')
  })

  it('returns the text unchanged when nothing matches', () => {
    expect(scrubDotenv(text, new Set(['NOPE']))).to.equal(text)
  })
})

describe('replaceDotenvFile', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'cv-dotenv-')) })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('rewrites atomically, keeps the mode and leaves no temp files', () => {
    const file = join(dir, '.env')
    writeFileSync(file, 'A=1\nS=x\n', {mode: 0o640})
    replaceDotenvFile(file, 'A=1\nS=x\n', 'A=1\n')
    expect(readFileSync(file, 'utf8')).to.equal('A=1\n')
    expect(statSync(file).mode & 0o777).to.equal(0o640)
    expect(readdirSync(dir)).to.deep.equal(['.env'])
  })

  it('follows a symlink and keeps the link', () => {
    mkdirSync(join(dir, 'real'))
    const real = join(dir, 'real', '.env')
    writeFileSync(real, 'S=x\n', {mode: 0o600})
    symlinkSync(real, join(dir, '.env'))
    replaceDotenvFile(join(dir, '.env'), 'S=x\n', '')
    expect(lstatSync(join(dir, '.env')).isSymbolicLink()).to.equal(true)
    expect(readFileSync(real, 'utf8')).to.equal('')
    expect(statSync(real).mode & 0o777).to.equal(0o600)
  })

  it('refuses when the file changed since it was read', () => {
    const file = join(dir, '.env')
    writeFileSync(file, 'A=2\n')
    const error = expectVaultError(() => replaceDotenvFile(file, 'A=1\n', ''), 'INVALID_INPUT')
    expect(error.message).to.include('changed')
    expect(readFileSync(file, 'utf8')).to.equal('A=2\n')
  })

  it('refuses a missing file or a directory', () => {
    expectVaultError(() => replaceDotenvFile(join(dir, 'missing'), '', ''), 'INVALID_INPUT')
    expectVaultError(() => replaceDotenvFile(dir, '', ''), 'INVALID_INPUT')
  })
})
