// Loads a lean command bundle (dist/lean-<name>.bundle.cjs, see scripts/bundle.mjs) through a V8
// code cache. Node 20 has no module compile cache, and compiling the bundle plus its first-run
// functions is a large share of `run`'s startup. The cache lives beside the bundle (same trust as
// the code itself; V8 rejects it if the bundle, Node or V8 flags changed) and is written once,
// after the first run that had none and went the whole way (the bundle's cacheWorthy()), so it
// holds the functions a real run compiled, not just those of a denial. An unwritable
// install folder just means no cache. Without a bundle, the same code runs unbundled from dist/src.
'use strict'
const {readFileSync, renameSync, rmSync, writeFileSync} = require('node:fs')
const {createRequire} = require('node:module')
const {join} = require('node:path')
const vm = require('node:vm')

const dist = join(__dirname, '..', 'dist')
const unbundled = {run: ['cli/lean-run.js', 'leanRun'], status: ['cli/lean-status.js', 'leanStatusMain']}

/** {main(argv), saveCache()} for `run` or `status`. */
function loadLean(name) {
  const bundle = join(dist, `lean-${name}.bundle.cjs`)
  let source
  try {
    source = readFileSync(bundle, 'utf8')
  } catch {
    const [file, exported] = unbundled[name]
    return {main: async (argv) => (await import(join(dist, 'src', file)))[exported](argv), saveCache() {}}
  }
  const cacheFile = `${bundle}.v8cache`
  let cachedData
  try {
    cachedData = readFileSync(cacheFile)
  } catch {}
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {filename: bundle, cachedData})
  const module = {exports: {}}
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dist)
  const saveCache = () => {
    if (cachedData && !script.cachedDataRejected) return
    if (module.exports.cacheWorthy && !module.exports.cacheWorthy()) return
    const temp = `${cacheFile}.${process.pid}.tmp`
    try {
      writeFileSync(temp, script.createCachedData(), {mode: 0o644, flag: 'wx'})
      renameSync(temp, cacheFile)
    } catch {
      rmSync(temp, {force: true})
    }
  }
  return {main: module.exports[unbundled[name][1]], saveCache}
}

module.exports = {loadLean}
