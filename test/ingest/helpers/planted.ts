import crypto from 'node:crypto'
import {expect} from 'chai'
import {isPlaceholder, maskPreview} from '../../../src/ingest/leaks.js'
import {scanProject} from '../../../src/ingest/scan.js'
import type {Provider} from '../../../src/secrets/providers/schema.js'
import {sampleFor} from './sample.js'
import {makeTmp, removeTmp, writeTree} from './tmp.js'

/** The wrappers a key is planted in: code, config, docs. */
const CONTEXTS: [string, (v: string) => string][] = [
  ['config.js', (v) => `export const key = '${v}'\n`],
  ['settings.py', (v) => `API_KEY = "${v}"\n`],
  ['deploy.yml', (v) => `env:\n  KEY: ${v}\n`],
  ['NOTES.md', (v) => `The key is ${v} for now.\n`],
]

/** Plants one generated key per non-public format in every context and checks each is reported, masked. */
export async function checkPlantedKeys(providers: Provider[]): Promise<number> {
  const dir = makeTmp()
  try {
    const planted: {file: string; rule: string; provider: string | null; value: string}[] = []
    const files: Record<string, string> = {}
    for (const p of providers) {
      for (const f of p.keyFormats) {
        if (f.public) continue
        // Connection URLs leak only with a real-looking password; the generator cannot know that.
        const value = f.pattern.includes('://')
          ? `${f.pattern.startsWith('postgres') ? 'postgres' : f.pattern.split(':')[0].replace(/[^a-z]/g, '')}://app:${crypto.randomBytes(12).toString('hex')}@db.internal:5432/app`
          : sampleFor(f.pattern, (v) => !isPlaceholder(v))
        for (const [name, wrap] of CONTEXTS) {
          const file = `${f.id}/${name}`
          files[file] = `${'\n'.repeat(2)}${wrap(value)}`
          planted.push({file, rule: f.id, provider: f.shared ? null : p.id, value})
        }
      }
    }
    writeTree(dir, files)
    const scan = await scanProject({root: dir, providers})
    const json = JSON.stringify(scan)
    for (const k of planted) {
      const found = scan.leaks.filter((l) => l.file === k.file && l.rule === k.rule)
      expect(found, `${k.rule} in ${k.file}`).to.have.length(1)
      const line = files[k.file].slice(0, files[k.file].indexOf(k.value)).split('\n').length
      expect(found[0]).to.deep.equal({file: k.file, line, rule: k.rule, provider: k.provider, preview: maskPreview(k.value)})
      expect(json, `${k.rule} value leaked into the result`).to.not.include(k.value)
    }
    return planted.length
  } finally {
    removeTmp(dir)
  }
}

