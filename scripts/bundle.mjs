// Bundle the lean `run` path into one file: loading ~200 small ESM modules (zod alone is ~100)
// costs more than their code (research/startup.md), and `run` pays it on every app launch.
// Native addons stay external. Missing bundle = bin/run.js falls back to the unbundled build.
import {build} from 'esbuild'

await build({
  entryPoints: ['dist/src/cli/lean-run.js'],
  outfile: 'dist/lean-run.bundle.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['sodium-native', 'fs-ext', 'node-pty'],
  // CommonJS dependencies inside an ESM bundle need a require()
  banner: {js: "import {createRequire as __cvCreateRequire} from 'node:module'; const require = __cvCreateRequire(import.meta.url);"},
  minify: true,
  logLevel: 'warning',
})
