import crypto from 'node:crypto'
import {expect} from 'chai'
import {CodeRegions, type CodeLanguage} from '../../src/ingest/code-regions.js'
import {classifyFile, extractEvidence, type Evidence} from '../../src/ingest/evidence.js'
import {LineIndex} from '../../src/ingest/lines.js'
import {compileSignatures, findKeywordHits} from '../../src/ingest/signatures.js'
import {testProviders} from './fixtures/catalog.js'

/** Each marker (⟦code⟧ or ⟪text⟫) is checked at its first character, markers removed. */
function check(language: CodeLanguage, marked: string, backwards = false): void {
  const probes: {at: number; code: boolean; what: string}[] = []
  let text = ''
  const re = /⟦([^⟧]*)⟧|⟪([^⟫]*)⟫/g
  let last = 0
  for (const m of marked.matchAll(re)) {
    text += marked.slice(last, m.index)
    const inner = m[1] ?? m[2]
    probes.push({at: text.length, code: m[1] !== undefined, what: inner})
    text += inner
    last = m.index + m[0].length
  }
  text += marked.slice(last)
  const regions = new CodeRegions(text, language)
  // asked in order and out of order: the lexer is incremental
  for (const p of backwards ? [...probes].reverse() : probes) expect(regions.isCode(p.at), `${p.code ? 'code' : 'text'}: ${p.what} in\n${text}`).to.equal(p.code)
}

describe('ingest code regions (strings and comments)', () => {
  it('JS: quotes, escapes, line and block comments', () => {
    for (const backwards of [false, true]) {
      check('js', `const a = "⟪new⟫ Stripe(key) \\" ⟪still⟫"; ⟦new⟧ OpenAI()\n// ⟪x⟫\n/* ⟪y⟫\n ⟪z⟫ */ ⟦w⟧\n'⟪it⟫\\'s' + ⟦q⟧`, backwards)
    }
  })

  it('JS: template literals with nested ${} code, strings and templates', () => {
    check('js', 'const s = `⟪import⟫ x ${⟦new⟧ OpenAI({a: {b: 1}})} ⟪and⟫ ${`⟪inner⟫ ${⟦deep⟧}`} ⟪tail⟫\n⟪line2⟫`; ⟦after⟧')
    check('js', "const t = `${'⟪q⟫}'}⟪x⟫`\n⟦code⟧")
  })

  it('JS: regex literals, divisions and the lines they can spoil', () => {
    check('js', "const re = /'/g; ⟦new⟧ OpenAI()\nconst p = s.replace(/\\/*$/, ''); ⟦next⟧\nconst d = a / b / c; ⟦div⟧\nreturn /[/']/.test(x) && ⟦ok⟧")
    check('js', 'if (x) { y() }\n/⟪re⟫gex/.test(z)\n⟦code⟧')
  })

  it("JS: an apostrophe in JSX or HTML text spoils its own line only", () => {
    check('js', "return <p>Don't ⟪call⟫ it</p>\nconst c = ⟦new⟧ OpenAI()\n<a href=\"http://x\">⟦y⟧</a>")
  })

  it('JS: a shebang line is not code', () => {
    check('js', "#!/usr/bin/env node ⟪x⟫\nimport OpenAI from 'openai' ⟦y⟧")
  })

  it('Python: comments, strings, triple-quoted docstrings, prefixes and f-strings', () => {
    for (const backwards of [false, true]) {
      check('py', `def f():\n    """Example:\n\n    ⟪from⟫ anthropic import Anthropic\n    client = ⟪Anthropic⟫()\n    """\n    ⟦return⟧ '#' # ⟪note⟫\nx = r'⟪\\d⟫' + b"⟪b⟫" + f"{⟦Anthropic⟧()}"\ny = '''⟪a⟫\n⟪b⟫'''; ⟦z⟧ = 1\n`, backwards)
    }
    check('py', "s = 'don\\'t ⟪x⟫' ⟦y⟧\nt = \"unterminated ⟪u⟫\n⟦next⟧")
  })
})

describe('ingest code regions: incremental lexing', () => {
  const PIECES = ['a', ' ', '\n', '/', '//', '/*', '*/', '*', "'", '"', '`', '${', '{', '}', '(', ')', '\\', '[', ']', '#', "'''", '"""', 'return', 'f', 'r', 'x = ', '=', ',', 'import x', 'new OpenAI()']
  const random = (n: number): string => Array.from(crypto.randomBytes(n), (b) => PIECES[b % PIECES.length]).join('')

  it('answers the same whatever the order of the questions, on random text, without hanging', () => {
    for (const language of ['js', 'py'] as const) {
      for (let round = 0; round < 300; round++) {
        const text = random(1 + (round % 60))
        const inOrder = new CodeRegions(text, language)
        const expected = Array.from({length: text.length + 1}, (_, i) => inOrder.isCode(i))
        const shuffled = new CodeRegions(text, language)
        const offsets = Array.from({length: text.length + 1}, (_, i) => i).sort(() => crypto.randomInt(3) - 1)
        for (const i of offsets) expect(shuffled.isCode(i), `${language} ${JSON.stringify(text)} at ${i}`).to.equal(expected[i])
      }
    }
  })
})

describe('ingest evidence in strings and comments', () => {
  const sig = compileSignatures(testProviders)
  const evidence = (rel: string, text: string): Evidence[] =>
    extractEvidence({rel, text, lines: new LineIndex(text), kind: classifyFile(rel), hits: findKeywordHits(sig, Buffer.from(text, 'latin1'))}, sig)
  const summary = (rel: string, text: string): string[] => evidence(rel, text).map((e) => `${e.line}:${e.kind}:${e.provider}:${e.strength}`)

  it('a docstring example is a mention, not an import or a constructor call', () => {
    const text = 'def helper():\n    """Call the SDK like this:\n\n    from anthropic import Anthropic\n    client = Anthropic()\n    """\n    return 1\n'
    expect(summary('app.py', text)).to.deep.equal(['4:mention:anthropic:weak', '5:mention:anthropic:weak'])
  })

  it('a constructor or an import inside a JS/TS string, template or block comment is a mention', () => {
    expect(summary('help.js', 'const help = "call new Stripe(key) in your server"\n')).to.deep.equal(['1:mention:stripe:weak'])
    expect(summary('gen.ts', "const code = `import OpenAI from 'openai'\nconst c = new OpenAI()`\n")).to.deep.equal(['1:mention:openai:weak', '2:mention:openai:weak'])
    expect(summary('old.ts', "/*\n  import Groq from 'groq-sdk'\n  const g = new Groq()\n*/\nexport {}\n")).to.deep.equal(['2:mention:groq:weak', '3:mention:groq:weak'])
  })

  it('code around strings and inside ${} is still code', () => {
    expect(summary('a.ts', "const re = /'/\nconst s = `${new Stripe(process.env.STRIPE_SECRET_KEY)}`\nimport OpenAI from 'openai'\n")).to.deep.equal([
      '2:env-reference:stripe:strong', '2:sdk-constructor:stripe:strong', '3:import:openai:strong',
    ])
    expect(summary('b.py', "x = 'it''s'  # don't\nimport anthropic\nc = anthropic.Anthropic()\n")).to.deep.equal([
      '2:import:anthropic:strong', '3:sdk-constructor:anthropic:strong',
    ])
  })
})
