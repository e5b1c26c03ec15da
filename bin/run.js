#!/usr/bin/env node
// `run` (on the hot path of every app launch) and `status` skip oclif's command loading when the
// call uses only everyday flags (see src/cli/lean-run.ts); everything else goes through oclif.
const argv = process.argv.slice(2)
let leanCode = null
if (argv[0] === 'run' || argv[0] === 'status') {
  const lean = await import('../dist/lean-run.bundle.js').catch(() => import('../dist/src/cli/lean-run.js'))
  leanCode = await lean.leanMain(argv)
}
if (leanCode === null) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
} else {
  process.exitCode = leanCode
  // Let stdout/stderr drain, then leave even if a stray handle (a paused stdin) is still open.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(leanCode)))
}
