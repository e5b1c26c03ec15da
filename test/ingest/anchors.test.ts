import crypto from 'node:crypto'
import {expect} from 'chai'
import {CODE_ENV, GO_IMPORT, JS_IMPORT, matchAnchored, MODEL_ID, PHP_USE, PY_IMPORT, RB_REQUIRE, RS_USE, type AnchoredRegex} from '../../src/ingest/anchors.js'

/** Pieces of every alternative, separators and look-alikes, glued at random: matches, near misses and overlaps. */
const PIECES = [
  'process.env', 'import.meta.env', 'os.environ', 'ENV', '$_ENV', '$_SERVER', 'Deno.env.get', 'os.getenv', 'os.Getenv',
  'os.LookupEnv', 'env::var', '_os', 'ENV.fetch', 'getenv', 'env', 'Env', 'eNv', 'v', 'V', 'SERVER', '$_',
  'from', 'import', 'require', 'xfrom', '$import', '.require', 'openai', 'anthropic/claude-3', 'a-b', 'x9',
  '.', '[', ']', '(', ')', '((', "'", '"', '`', '/', '//', ' ', '  ', '\n', '\r\n', '\t', '\u00a0', '\u2028', '\u00e9',
  'A', 'B_1', 'OPENAI_API_KEY', '-', ':', 'abcdefghijklmnopqrstuvwxyz0123456789-abcdefghij',
  // whole and half matches
  'process.env.A', "os.environ['B_1']", 'os.getenv("A")', "ENV.fetch('A')", "env('B_1')", "$_ENV['A']", 'env::var_os("A")',
  "from 'openai'", 'import "x/y"', "require('a')", "import('b')", "from '", '"openai/gpt-4o"', "'a1/b.c:d'", '`ab/c`', "'a/b'",
  "'openai/", 'x-ai/grok"', "'A'", '"B_1"',
  // line-anchored imports (Python, Go, Ruby, PHP, Rust)
  '\nfrom a.b import c, d', '\nimport os', '\n  import (\n"fmt"\n)', '\nimport x "a/b"', "\nrequire 'x'", '\n\tuse A\\B',
  '\npub use tokio', '\nextern crate serde', ' crate', 'pub ', 'use ', 'extern', '\r', '\u2029', ', ', 'a.b',
  '\nfrom a import (\n  b,\n  c  # x\n)', '\nfrom a import(b)', ' import (', '(\n',
]

function randomText(pieces: number): string {
  const picks = crypto.randomBytes(pieces * 2)
  let text = ''
  for (let i = 0; i < pieces; i++) text += PIECES[picks.readUInt16LE(2 * i) % PIECES.length]
  return text
}

function viaMatchAll(regex: RegExp, text: string): unknown[] {
  return [...text.matchAll(regex)].map((m) => [m.index, ...m])
}

function viaAnchors(anchored: AnchoredRegex, text: string): unknown[] {
  return matchAnchored(anchored, text).map((m) => [m.index, ...m])
}

describe('ingest anchored regexes', () => {
  const cases: Record<string, AnchoredRegex> = {CODE_ENV, JS_IMPORT, MODEL_ID, PY_IMPORT, GO_IMPORT, RB_REQUIRE, PHP_USE, RS_USE}
  for (const [name, anchored] of Object.entries(cases)) {
    it(`${name}: the same matches as matchAll, in the same order`, () => {
      let matched = 0
      for (let round = 0; round < 3000; round++) {
        const text = randomText(round % 100 === 0 ? 400 : 1 + (round % 30))
        const expected = viaMatchAll(anchored.regex, text)
        matched += expected.length
        expect(viaAnchors(anchored, text), JSON.stringify(text)).to.deep.equal(expected)
      }
      // the random text does reach the interesting cases
      expect(matched).to.be.greaterThan(100)
    })
  }

  it('finds the written forms', () => {
    const env = (text: string): unknown[] => viaAnchors(CODE_ENV, text).map((m) => (m as string[]).slice(1).filter(Boolean))
    expect(env("a = process.env.X; b = process.env['Y']; os.LookupEnv(\"Z\"); $_SERVER [ 'W' ]; import.meta.env.V")).to.deep.equal([
      ['process.env.X', 'X'], ["process.env['Y']", 'Y'], ['os.LookupEnv("Z"', 'Z'], ["$_SERVER [ 'W' ]", 'W'], ['import.meta.env.V', 'V'],
    ])
    expect(viaAnchors(JS_IMPORT, "import x from 'a'\nconst b = require ( \"b\" )\nimport('c')").map((m) => (m as string[])[2])).to.deep.equal(['a', 'b', 'c'])
    expect(viaAnchors(MODEL_ID, `model: "openai/gpt-4o", url: 'https://x/y', m: \`ab/c\``).map((m) => (m as string[])[2])).to.deep.equal(['openai', 'ab'])
  })
})
