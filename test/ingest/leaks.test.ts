import crypto from 'node:crypto'
import {expect} from 'chai'
import {isPlaceholder, maskPreview, MIN_KNOWN_VALUE_BYTES, prepareKnownValues} from '../../src/ingest/leaks.js'
import {scanProject} from '../../src/ingest/scan.js'
import {testProviders} from './fixtures/catalog.js'
import {sampleFor} from './helpers/sample.js'
import {checkPlantedKeys} from './helpers/planted.js'
import {makeTmp, removeTmp, writeTree} from './helpers/tmp.js'

describe('ingest leaks', () => {
  let dir: string
  beforeEach(() => {
    dir = makeTmp()
  })
  afterEach(() => removeTmp(dir))

  it('reports a planted key in every format of the test catalog, masked, in code, config and docs', async () => {
    const count = await checkPlantedKeys(testProviders)
    expect(count).to.be.greaterThan(30)
  })

  it('masks to at most 8 leading characters and never more than a third of the value', () => {
    expect(maskPreview('sk-ant-api03-' + 'a'.repeat(95))).to.equal('sk-ant-a…(108)')
    expect(maskPreview('AKIA1234567890ABCDEF')).to.equal('AKIA12…(20)')
    expect(maskPreview('sk-defghi')).to.equal('sk-…(9)')
    // without a well-known prefix the start of a key is key material: only the length shows
    expect(maskPreview('abcdefghi')).to.equal('…(9)')
    expect(maskPreview('ab')).to.equal('…(2)')
    for (let n = 1; n < 200; n += 7) {
      const value = crypto.randomBytes(n).toString('hex').slice(0, n)
      const shown = maskPreview(value).split('…')[0]
      expect(shown.length).to.be.at.most(Math.min(8, n / 3))
    }
  })

  it('does not report placeholders, documented samples or low-entropy values', async () => {
    const placeholders = [
      `sk-ant-api03-${'0'.repeat(93)}AA`,
      `sk-ant-api03-${'x'.repeat(93)}AA`,
      'sk_test_xxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      'sk_live_your_key_here_your_key_here_00',
      'sk_live_1234567890abcdefghij1234567890',
      'AKIAIOSFODNN7EXAMPLE',
      'AIzaSyabcdefghijklmnopqrstuvwxyz1234567',
      'AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs',
      `gsk_${'ab'.repeat(26)}`,
      `hf_${'A'.repeat(34)}`,
      `sbp_${'0123456789'.repeat(4)}`,
    ]
    writeTree(dir, {
      'a.js': placeholders.map((p, i) => `export const k${i} = '${p}'`).join('\n'),
      '.env.example': 'OPENAI_API_KEY=sk-...\nSTRIPE_SECRET_KEY=sk_live_...\nGROQ_API_KEY=${GROQ_API_KEY}\nHF_TOKEN=<your token>\n',
      'README.md': 'Set `OPENAI_API_KEY=sk-proj-...` and `ANTHROPIC_API_KEY=sk-ant-api03-...`.\n',
    })
    const scan = await scanProject({root: dir, providers: testProviders})
    expect(scan.leaks).to.deep.equal([])
  })

  it('does not report formats flagged public', async () => {
    const pk = sampleFor('pk_test_[A-Za-z0-9]{40}', (v) => !isPlaceholder(v))
    writeTree(dir, {'checkout.js': `const stripe = Stripe('${pk}')\n`})
    const scan = await scanProject({root: dir, providers: testProviders})
    expect(scan.leaks).to.deep.equal([])
  })

  it('reports exact occurrences of stored values as vault-secret, masked, with no false positives', async () => {
    const canary = `cv-canary-${crypto.randomBytes(16).toString('hex')}`
    const nearMiss = canary.slice(0, -1) + (canary.endsWith('0') ? '1' : '0')
    const bufferCanary = crypto.randomBytes(24).toString('base64url')
    writeTree(dir, {
      'src/a.ts': `const x = 1\nconst k = "${canary}"\n`,
      'src/b.ts': `const k = "${nearMiss}"\nconst upper = "${canary.toUpperCase()}"\n`,
      'src/c.py': `\n\n\nK = '${bufferCanary}'  # and again ${bufferCanary}\n`,
      'src/d.txt': 'short value abc here\n',
    })
    const scan = await scanProject({
      root: dir,
      providers: testProviders,
      knownValues: [
        {value: canary, label: 'openai'},
        {value: Buffer.from(bufferCanary), label: 'stripe'},
        {value: 'abc', label: 'too-short'},
      ],
    })
    expect(scan.leaks).to.deep.equal([
      {file: 'src/a.ts', line: 2, rule: 'vault-secret', provider: 'openai', preview: maskPreview(canary)},
      {file: 'src/c.py', line: 4, rule: 'vault-secret', provider: 'stripe', preview: maskPreview(bufferCanary)},
      {file: 'src/c.py', line: 4, rule: 'vault-secret', provider: 'stripe', preview: maskPreview(bufferCanary)},
    ])
    const json = JSON.stringify(scan)
    expect(json).to.not.include(canary)
    expect(json).to.not.include(bufferCanary)
    expect(MIN_KNOWN_VALUE_BYTES).to.equal(8)
  })

  it('uses stored-value Buffers in place (so the caller can wipe them) and masks without copying the value', () => {
    const secret = crypto.randomBytes(30)
    const [prepared] = prepareKnownValues([{value: secret, label: 'x'}])
    expect(prepared.bytes).to.equal(secret)
    expect(prepared.preview).to.equal(maskPreview(secret.toString('latin1')))
  })

  it('reports a stored value once, as vault-secret, when it also matches a key format', async () => {
    const key = sampleFor('gsk_[A-Za-z0-9]{52}', (v) => !isPlaceholder(v))
    writeTree(dir, {'groq.js': `const k = '${key}'\n`})
    const scan = await scanProject({root: dir, providers: testProviders, knownValues: [{value: key, label: 'groq'}]})
    expect(scan.leaks).to.deep.equal([{file: 'groq.js', line: 1, rule: 'vault-secret', provider: 'groq', preview: maskPreview(key)}])
  })

  it('still finds leaks on minified (very long) lines, where evidence is not collected', async () => {
    const key = sampleFor('sk-ant-api03-[A-Za-z0-9_-]{93}AA', (v) => !isPlaceholder(v))
    const filler = 'var a=process.env.ANTHROPIC_API_KEY;'.repeat(300)
    writeTree(dir, {'bundle.js': `${filler}var k="${key}";${filler}\n`})
    const scan = await scanProject({root: dir, providers: testProviders})
    expect(scan.leaks.map((l) => l.rule)).to.deep.equal(['anthropic-api-key'])
    expect(scan.evidence).to.deep.equal([])
  })
})
