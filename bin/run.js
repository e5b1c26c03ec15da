#!/usr/bin/env node
// oclif's debug output (DEBUG=*) logs the raw argv, where a mistakenly pasted key would show.
if (process.env.DEBUG) process.env.DEBUG = `${process.env.DEBUG},-oclif:*`
// `run` (on the hot path of every app launch) and `status` skip oclif's command loading when the
// call uses only everyday flags (see src/cli/lean-run.ts); everything else goes through oclif.
const argv = process.argv.slice(2)
let leanCode = null
if (argv[0] === 'run' || argv[0] === 'status') {
  let lean
  try {
    lean = (await import('./lean.js')).loadLean()
  } catch {
    // no bundle (a build without scripts/bundle.mjs): the same code, unbundled
    lean = {leanMain: (await import('../dist/src/cli/lean-run.js')).leanMain, saveCache() {}}
  }
  leanCode = await lean.leanMain(argv)
  lean.saveCache()
}
if (leanCode === null) {
  // zod must be jitless before any command module builds its schemas
  await import('../dist/src/secrets/zod-config.js')
  const {execute, settings} = await import('@oclif/core')
  // The published binary runs compiled code: NODE_ENV=development/test must not make oclif look for
  // TypeScript sources (slow, and a warning per command). bin/dev.js is the way to run the sources.
  settings.enableAutoTranspile = false
  await execute({dir: import.meta.url})
} else {
  process.exitCode = leanCode
  // Let stdout/stderr drain, then leave even if a stray handle (a paused stdin) is still open.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(leanCode)))
}
