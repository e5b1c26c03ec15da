import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures')

/** A fresh temp folder; call the returned cleanup in afterEach. */
export function makeTmp(prefix = 'cv-ingest-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export function removeTmp(dir: string): void {
  fs.rmSync(dir, {recursive: true, force: true})
}

/** Writes files (posix relative path -> content) under dir, creating folders. */
export function writeTree(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(dir, rel)
    fs.mkdirSync(path.dirname(abs), {recursive: true})
    fs.writeFileSync(abs, content)
  }
}

/** Copies a committed fixture app into a temp folder (so tests can add generated files to it). */
export function copyFixture(name: string): string {
  const dir = makeTmp()
  fs.cpSync(path.join(FIXTURES, name), dir, {recursive: true})
  return dir
}
