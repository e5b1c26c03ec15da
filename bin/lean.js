// Loads the lean run/status bundle through a V8 code cache. Node 20 has no module compile cache,
// and compiling the bundle plus its first-run functions is a large share of `run`'s startup. The
// cache lives beside the bundle (same trust as the code itself; V8 rejects it if the bundle, Node
// or V8 flags changed) and is written once, after the first run that had none, so it holds the
// functions a real run compiled. An unwritable install folder just means no cache.
import {readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import vm from 'node:vm'

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const bundle = join(dist, 'lean-run.bundle.cjs')
const cacheFile = `${bundle}.v8cache`

/** The bundle's exports, and a function that stores a fresh code cache when the one on disk was missing or stale. */
export function loadLean() {
  const source = readFileSync(bundle, 'utf8')
  let cachedData
  try {
    cachedData = readFileSync(cacheFile)
  } catch {}
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {filename: bundle, cachedData})
  const module = {exports: {}}
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dist)
  const saveCache = () => {
    if (cachedData && !script.cachedDataRejected) return
    const temp = `${cacheFile}.${process.pid}.tmp`
    try {
      writeFileSync(temp, script.createCachedData(), {mode: 0o644, flag: 'wx'})
      renameSync(temp, cacheFile)
    } catch {
      rmSync(temp, {force: true})
    }
  }
  return {leanMain: module.exports.leanMain, saveCache}
}
