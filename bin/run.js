#!/usr/bin/env node
// CommonJS (bin/package.json): an ES module entry costs ~8 ms more per start, and `run` is on the
// hot path of every app launch.
'use strict'
// Node opens its inspector on 127.0.0.1:9229 when it receives SIGUSR1. A child of `run` (same user)
// could send it and then read our environment (the session token) or memory through the debugger,
// and any local user could connect while the port is open. A listener of our own turns that off.
process.on('SIGUSR1', () => {})
// oclif's debug output (DEBUG=*) logs the raw argv, where a mistakenly pasted key would show.
if (process.env.DEBUG) process.env.DEBUG = `${process.env.DEBUG},-oclif:*`

/** `run` and `status` skip oclif when the call uses only everyday flags (src/cli/lean-*.ts). */
async function lean(argv) {
  if (argv[0] !== 'run' && argv[0] !== 'status') return null
  const {loadLean} = require('./lean.js')
  const loaded = loadLean(argv[0])
  const code = await loaded.main(argv.slice(1))
  loaded.saveCache()
  return code
}

async function main() {
  const argv = process.argv.slice(2)
  const code = await lean(argv)
  if (code !== null) {
    process.exitCode = code
    // Let stdout/stderr drain, then leave even if a stray handle (a paused stdin) is still open.
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)))
    return
  }
  const {execute, settings} = require('@oclif/core')
  // The published binary runs compiled code: NODE_ENV=development/test must not make oclif look for
  // TypeScript sources (slow, and a warning per command). bin/dev.js is the way to run the sources.
  settings.enableAutoTranspile = false
  // the package root, not bin/: bin/package.json (type commonjs) has no name for oclif to load
  await execute({dir: require('node:path').join(__dirname, '..')})
}

main()
