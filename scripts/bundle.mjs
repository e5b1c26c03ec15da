// Bundle the lean `run` path into one file: loading ~200 small ESM modules (zod alone is ~100)
// costs more than their code (research/startup.md), and `run` pays it on every app launch.
// Missing bundle = bin/run.js falls back to the unbundled build. CommonJS, so that bin/lean.js can
// run it through vm.Script with a V8 code cache (Node 20 has no cache for ES modules).
import {rmSync} from 'node:fs'

import {build} from 'esbuild'

/**
 * sodium-native's own loader (require-addon and its resolver packages) costs ~25 ms per start;
 * opening the prebuilt binary directly costs ~3 ms. So the bundle carries sodium-native's JS
 * wrappers (with all their argument checks) and loads the binding straight from the package's
 * prebuilds folder, falling back to sodium-native's loader on any other platform layout.
 */
const sodiumBinding = `
const {dirname, join} = require('node:path')
function load() {
  try {
    const dir = dirname(require.resolve('sodium-native/package.json'))
    const addon = {exports: {}}
    process.dlopen(addon, join(dir, 'prebuilds', process.platform + '-' + process.arch, 'sodium-native.node'))
    return addon.exports
  } catch {
    return require('sodium-native/binding.js')
  }
}
module.exports = load()
`
// sodium-native uses assert(condition, message) only; Node's assert module costs ~3 ms to load
const tinyAssert = `
module.exports = function assert(condition, message) {
  if (!condition) throw new Error(message)
}
`

const sodiumPlugin = {
  name: 'lean-sodium',
  setup(build) {
    // src/secrets/sodium.ts loads sodium-native with a runtime require (cheaper unbundled); here it is bundled
    build.onLoad({filter: /dist[\\/]src[\\/]secrets[\\/]sodium\.js$/}, () => ({
      // require, not import: an import would copy sodium's ~500 exports into an ES namespace on every start
      contents: "export const sodium = require('sodium-native')\n", loader: 'js', resolveDir: process.cwd(),
    }))
    build.onResolve({filter: /^\.\/binding$/}, (args) => (/sodium-native/.test(args.importer) ? {path: 'binding', namespace: 'cv-sodium'} : undefined))
    build.onResolve({filter: /^assert$/}, (args) => (/sodium-native/.test(args.importer) ? {path: 'assert', namespace: 'cv-sodium'} : undefined))
    build.onResolve({filter: /^sodium-native\/binding\.js$/}, () => ({path: 'sodium-native/binding.js', external: true}))
    build.onLoad({filter: /.*/, namespace: 'cv-sodium'}, (args) => ({contents: args.path === 'binding' ? sodiumBinding : tinyAssert, loader: 'js'}))
  },
}

/**
 * https-proxy-agent logs through `debug`; the bundle gives it a logger that is always off, which
 * skips loading debug and its tty probing on a mediated run's start. (The proxy's credentials are
 * kept out of what it would log anyway: mediator.ts passes them as a header.)
 */
const silentDebug = {
  name: 'silent-debug',
  setup(build) {
    build.onResolve({filter: /^debug$/}, (args) => (/(https-proxy-agent|agent-base)/.test(args.importer) ? {path: 'debug', namespace: 'cv-silent-debug'} : undefined))
    build.onLoad({filter: /.*/, namespace: 'cv-silent-debug'}, () => ({
      contents: 'module.exports = function createDebug() { const log = () => {}; log.enabled = false; return log }\n', loader: 'js',
    }))
  },
}

// One bundle per lean command: `run` does not load chalk, `status` does not load child_process.
const entries = {run: 'dist/src/cli/lean-run.js', status: 'dist/src/cli/lean-status.js'}
await Promise.all(Object.entries(entries).map(([name, entry]) => build({
  entryPoints: [entry],
  outfile: `dist/lean-${name}.bundle.cjs`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['fs-ext', 'node-pty'],
  plugins: [sodiumPlugin, silentDebug],
  define: {'import.meta.url': '__cvImportMetaUrl'},
  banner: {js: "const __cvImportMetaUrl = require('node:url').pathToFileURL(__filename).href;"},
  minify: !process.env.CV_NO_MINIFY,
  logLevel: 'warning',
})))

// a code cache of a previous bundle would only be rejected by V8; bin/lean.js writes a fresh one on first use
for (const name of Object.keys(entries)) rmSync(`dist/lean-${name}.bundle.cjs.v8cache`, {force: true})
rmSync('dist/lean-run.bundle.js', {force: true}) // the ESM bundle of earlier builds
