/**
 * Generates a synthetic project tree for the scan benchmark: mixed source (TS/JS, Python, Go,
 * Markdown, YAML, JSON manifests) with imports, env reads, comments and the odd keyword, laid out
 * as nested folders of ~50 files. Deterministic (seeded PRNG). Planted values are placeholders only.
 *
 *   npx tsx bench/scan-gen.ts DIR [FILES=20000] [MEGABYTES=200]
 */
import fs from 'node:fs'
import path from 'node:path'

const [dir, filesArg = '20000', mbArg = '200'] = process.argv.slice(2)
if (!dir) {
  console.error('usage: scan-gen DIR [FILES] [MEGABYTES]')
  process.exit(2)
}
const files = Number(filesArg)
const targetBytes = Number(mbArg) * 1024 * 1024
const perFile = Math.floor(targetBytes / files)

let seed = 42
const rand = (n: number): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed % n
}
const pick = <T>(list: T[]): T => list[rand(list.length)]
const word = (): string => pick(['user', 'order', 'item', 'cart', 'price', 'total', 'value', 'result', 'data', 'config', 'handler', 'client', 'session', 'token', 'cache', 'queue'])

const JS_IMPORTS = ["import express from 'express'", "import {z} from 'zod'", "import OpenAI from 'openai'", "import Stripe from 'stripe'", "import {readFile} from 'node:fs/promises'", "import lodash from 'lodash'", "const pg = require('pg')", "import {createClient} from '@supabase/supabase-js'"]
const JS_LINES = [
  () => `export function ${word()}${rand(1000)}(${word()}: string, ${word()}: number) {`,
  () => `  const ${word()} = await fetch(\`/api/${word()}/\${id}\`, {method: 'POST', body: JSON.stringify({${word()}: ${rand(100)}})})`,
  () => `  if (${word()}.length > ${rand(100)}) return ${word()}.map((x) => x.${word()} * ${rand(10)})`,
  () => `  // normalise the ${word()} before caching it for ${rand(60)} seconds`,
  () => `  const key = process.env.${pick(['PORT', 'NODE_ENV', 'OPENAI_API_KEY', 'APP_SECRET', 'DATABASE_URL', 'LOG_LEVEL'])}`,
  () => `  throw new Error('the ${word()} could not be loaded: ' + ${word()}.message)`,
  () => '}',
  () => `  for (const ${word()} of ${word()}s) total += ${word()}.price * ${word()}.quantity`,
]
const PY_LINES = [
  () => `def ${word()}_${rand(1000)}(${word()}, ${word()}=None):`,
  () => `    ${word()} = [x.${word()} for x in ${word()}s if x.${word()} > ${rand(100)}]`,
  () => `    # the ${word()} is refreshed every ${rand(60)} minutes`,
  () => `    api = os.environ.get("${pick(['APP_MODE', 'ANTHROPIC_API_KEY', 'REDIS_URL', 'DEBUG'])}")`,
  () => `    return {"${word()}": ${word()}, "count": len(${word()}s)}`,
]
const GO_LINES = [
  () => `func ${word()}${rand(1000)}(ctx context.Context, ${word()} string) (int, error) {`,
  () => `\tif err := ${word()}.Validate(); err != nil {\n\t\treturn 0, fmt.Errorf("${word()}: %w", err)\n\t}`,
  () => `\tv := os.Getenv("${pick(['PORT', 'STRIPE_SECRET_KEY', 'GO_ENV'])}")`,
  () => '}',
]
const MD_LINES = [
  () => `The ${word()} service talks to ${pick(['OpenAI', 'Stripe', 'our database', 'the cache', 'Anthropic'])} when a ${word()} changes.`,
  () => `- step ${rand(10)}: run \`npm run ${word()}\` and check the ${word()} output`,
  () => `## ${word()} ${word()}`,
]

function body(kind: string): string {
  const lines: string[] = []
  let size = 0
  if (kind === 'ts') {
    for (let i = 0; i < 4; i++) lines.push(pick(JS_IMPORTS))
  } else if (kind === 'py') lines.push('import os', pick(['import anthropic', 'import json', 'from openai import OpenAI', 'import requests']))
  else if (kind === 'go') lines.push('package main', 'import (\n\t"fmt"\n\t"os"\n)')
  const gen = kind === 'ts' ? JS_LINES : kind === 'py' ? PY_LINES : kind === 'go' ? GO_LINES : MD_LINES
  const target = perFile * (0.5 + rand(100) / 100)
  while (size < target) {
    const line = pick(gen)()
    lines.push(line)
    size += line.length + 1
  }
  return lines.join('\n') + '\n'
}

const started = Date.now()
let written = 0
let bytes = 0
for (let i = 0; written < files; i++) {
  const folder = path.join(dir, `pkg${Math.floor(i / 400)}`, `mod${Math.floor(i / 50) % 8}`, `part${i % 50 < 25 ? 'a' : 'b'}`)
  fs.mkdirSync(folder, {recursive: true})
  if (i % 400 === 0) {
    const pkg = path.join(dir, `pkg${Math.floor(i / 400)}`, 'package.json')
    fs.writeFileSync(pkg, JSON.stringify({name: `pkg${i}`, dependencies: {openai: '^4', express: '^4', stripe: '^16'}}, null, 2))
    written++
  }
  const r = rand(100)
  const [kind, ext] = r < 60 ? ['ts', '.ts'] : r < 80 ? ['py', '.py'] : r < 90 ? ['go', '.go'] : ['md', '.md']
  const content = body(kind)
  fs.writeFileSync(path.join(folder, `${word()}-${i}${ext}`), content)
  written++
  bytes += content.length
}
console.log(JSON.stringify({dir, files: written, megabytes: +(bytes / 1024 / 1024).toFixed(1), ms: Date.now() - started}))
