/**
 * Walks a project tree one file at a time. Memory stays flat with tree size: only the directory
 * being listed and the stack of not-yet-visited directories are held, never the whole tree.
 *
 * Choices (documented for scan/README):
 * - symlinks are never followed (so loops cannot happen); each one is reported as skipped 'symlink';
 * - FIFOs, sockets and devices are never opened (opening a FIFO blocks) and are skipped 'not-regular';
 * - `.gitignore` at every level and `.codexvaultignore` at every level are honoured: what they
 *   ignore is not part of the project, and is left out silently, except files git tracks all the
 *   same (`git add -f`, or ignored after they were committed): they are in every clone, so a key
 *   in them is leaked (asked of git when it is installed and the tree is in a repository);
 * - build output (dist, build, out, .next...) that is not ignored is walked, but its files, like
 *   minified files and source maps anywhere, are checked for leaks only (leak-only.ts): a
 *   key bundled into a committed dist/app.js is a leaked key, while what a bundle imports says
 *   nothing its sources do not say better;
 * - dependency folders (node_modules, vendor, .venv, venv) that are not ignored are pruned and
 *   reported as skipped 'dependencies' (third-party code: neither evidence nor the app's leaks);
 *   VCS metadata and tool caches are pruned silently, as are lockfiles and files whose extension
 *   marks them as binary assets (images, fonts, archives...).
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import ignore, {type Ignore} from 'ignore'
import type {SkipReason} from './read.js'

export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024

/** Third-party code: never descended into; reported as skipped when not ignored. */
export const DEPENDENCY_DIRS: ReadonlySet<string> = new Set(['node_modules', 'vendor', '.venv', 'venv'])

/** VCS metadata and tool caches (derived from what is scanned, or the tools' own): never descended into, silently. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  '.git', '.hg', '.svn', '__pycache__', 'coverage', '.turbo', '.cache', '.pytest_cache', '.mypy_cache', '.tox', '.gradle', '.terraform',
])

/** Lockfiles list transitive dependencies (noise) and hold no secrets worth the time. */
const LOCKFILES: ReadonlySet<string> = new Set([
  'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb', 'Cargo.lock', 'go.sum',
  'poetry.lock', 'Pipfile.lock', 'Gemfile.lock', 'composer.lock', 'uv.lock',
])

const BINARY_EXTENSIONS: ReadonlySet<string> = new Set([
  '.png', '.jpg', '.jpeg', '.gif', '.webp', '.ico', '.bmp', '.tiff', '.avif', '.psd', '.woff', '.woff2', '.ttf',
  '.otf', '.eot', '.zip', '.gz', '.tgz', '.bz2', '.xz', '.7z', '.rar', '.jar', '.war', '.class', '.pyc', '.pyo',
  '.so', '.dylib', '.dll', '.exe', '.o', '.a', '.wasm', '.pdf', '.mp3', '.mp4', '.mov', '.avi', '.webm', '.ogg',
  '.wav', '.flac', '.sqlite', '.db', '.bin', '.dat', '.node',
])

const IGNORE_FILES = ['.gitignore', '.codexvaultignore']

// Reading lives in read.ts, which scan workers load without the walk's dependencies.
export {readCandidate, type ReadResult, type SkipReason} from './read.js'

export type WalkEntry =
  | {type: 'file'; abs: string; rel: string}
  | {type: 'skipped'; rel: string; reason: SkipReason; detail?: string}

interface IgnoreLevel {
  /** posix path of the folder holding the ignore files, relative to root ('' for the root) */
  dir: string
  ig: Ignore
}

function loadIgnore(absDir: string, relDir: string, entries: fs.Dirent[]): IgnoreLevel | undefined {
  let ig: Ignore | undefined
  for (const name of IGNORE_FILES) {
    // Only open what the listing shows: a failed open costs an exception, in every folder.
    if (!entries.some((entry) => entry.name === name)) continue
    let text: string
    try {
      text = fs.readFileSync(path.join(absDir, name), 'utf8')
    } catch {
      continue // absent or unreadable: nothing to honour
    }
    ig ??= ignore()
    ig.add(text)
  }
  return ig ? {dir: relDir, ig} : undefined
}

/** Deepest rule wins, as in git: a nested `!pattern` can re-include what a parent ignored. */
function isIgnored(levels: IgnoreLevel[], rel: string, isDir: boolean): boolean {
  let ignored = false
  for (const level of levels) {
    const sub = level.dir === '' ? rel : rel.slice(level.dir.length + 1)
    const result = level.ig.test(isDir ? `${sub}/` : sub)
    if (result.ignored) ignored = true
    else if (result.unignored) ignored = false
  }
  return ignored
}

/** Files (relative to root, posix) that git tracks although an ignore rule matches them, and the folders holding them. */
function trackedDespiteIgnore(root: string): {files: Set<string>; dirs: Set<string>} {
  const files = new Set<string>()
  const dirs = new Set<string>()
  // core.fsmonitor off: a scanned tree's .git/config must not get to run a command of its choosing
  const listed = spawnSync('git', ['-C', root, '-c', 'core.fsmonitor=false', 'ls-files', '-z', '--cached', '--ignored', '--exclude-standard'], {
    stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000, maxBuffer: 64 * 1024 * 1024,
  })
  if (listed.status !== 0 || !listed.stdout) return {files, dirs} // no git, not a repository: nothing to add
  for (const rel of listed.stdout.toString('utf8').split('\0')) {
    if (rel === '') continue
    files.add(rel)
    for (let at = rel.indexOf('/'); at > 0; at = rel.indexOf('/', at + 1)) dirs.add(rel.slice(0, at))
  }
  return {files, dirs}
}

/**
 * Yields every candidate file under `root` (an existing folder, absolute) in a stable order
 * (entries sorted by name), and every notable skip. Reading the files is left to the caller.
 */
export function* walkProject(root: string): Generator<WalkEntry> {
  // asked of git only once something is ignored: most trees never pay for the process
  let trackedCache: {files: Set<string>; dirs: Set<string>} | undefined
  const tracked = () => (trackedCache ??= trackedDespiteIgnore(root))
  // Each stack frame is a directory still to list, with the ignore levels that apply to it.
  const stack: {abs: string; rel: string; levels: IgnoreLevel[]}[] = [{abs: root, rel: '', levels: []}]
  while (stack.length > 0) {
    const frame = stack.pop()!
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(frame.abs, {withFileTypes: true})
    } catch (error) {
      yield {type: 'skipped', rel: frame.rel ? `${frame.rel}/` : './', reason: 'unreadable', detail: (error as NodeJS.ErrnoException).code}
      continue
    }
    const own = loadIgnore(frame.abs, frame.rel, entries)
    const levels = own ? [...frame.levels, own] : frame.levels
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const subdirs: {abs: string; rel: string; levels: IgnoreLevel[]}[] = []
    // What path.join would give (the folder path is normalised already, a listed name holds no
    // separator), without its cost per entry.
    const prefix = frame.abs.endsWith(path.sep) ? frame.abs : frame.abs + path.sep
    for (const entry of entries) {
      const rel = frame.rel === '' ? entry.name : `${frame.rel}/${entry.name}`
      const abs = prefix + entry.name
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name) || (isIgnored(levels, rel, true) && !tracked().dirs.has(rel))) continue
        if (DEPENDENCY_DIRS.has(entry.name)) yield {type: 'skipped', rel: `${rel}/`, reason: 'dependencies'}
        else subdirs.push({abs, rel, levels})
        continue
      }
      if (isIgnored(levels, rel, false) && !tracked().files.has(rel)) continue
      if (entry.isSymbolicLink()) {
        yield {type: 'skipped', rel, reason: 'symlink'}
        continue
      }
      if (!entry.isFile()) {
        yield {type: 'skipped', rel, reason: 'not-regular'}
        continue
      }
      if (LOCKFILES.has(entry.name) || BINARY_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) continue
      yield {type: 'file', abs, rel}
    }
    // Reverse so that popping visits subfolders in name order.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i])
  }
}
