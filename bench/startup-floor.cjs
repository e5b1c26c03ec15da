// Floors for `run -- true`: what any Node wrapper pays on this machine before doing any of
// codex-vault's own work, measured by bench/startup.sh in the same hyperfine run as `node -e 0`.
//   node bench/startup-floor.cjs spawn   load child_process, spawn `true` with piped (maskable) output
//   node bench/startup-floor.cjs io      the above plus sodium's dlopen and the durable writes of a run:
//                                        two audit appends and two atomic vault replaces (6 fsyncs)
// Plain CommonJS without the project's code, so it measures the platform and nothing of ours.
'use strict'
const {spawn} = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

function durableWrites() {
  const sodiumPath = require.resolve('sodium-native/prebuilds/linux-x64/sodium-native.node', {paths: [path.join(__dirname, '..')]})
  const sodium = {exports: {}}
  process.dlopen(sodium, sodiumPath)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cv-floor-'))
  const bytes = Buffer.alloc(4096)
  sodium.exports.randombytes_buf(bytes)
  const append = (file) => {
    const fd = fs.openSync(file, 'a')
    fs.writeSync(fd, bytes.subarray(0, 300))
    fs.fsyncSync(fd)
    fs.closeSync(fd)
  }
  const replace = (file) => {
    const temp = `${file}.tmp`
    const fd = fs.openSync(temp, 'w', 0o600)
    fs.writeSync(fd, bytes)
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    fs.renameSync(temp, file)
    const dirFd = fs.openSync(dir, 'r')
    fs.fsyncSync(dirFd)
    fs.closeSync(dirFd)
  }
  return {append: () => append(path.join(dir, 'audit')), replace: () => replace(path.join(dir, 'vault')), done: () => fs.rmSync(dir, {recursive: true, force: true})}
}

const io = process.argv[2] === 'io' ? durableWrites() : null
io?.append()
io?.replace()
const child = spawn('true', [], {stdio: [0, 'pipe', 'pipe']})
child.stdout.pipe(process.stdout)
child.stderr.pipe(process.stderr)
child.once('close', (code) => {
  io?.append()
  io?.replace()
  io?.done()
  process.exitCode = code
})
