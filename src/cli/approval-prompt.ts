/** The terminal question `run` asks about a missing grant: y, N (default) or a duration. */
import {createRequire} from 'node:module'

import type {Denial} from '../runtime/authorize.js'
import {ttlRule} from '../permissions/ttl-policy.js'
import {formatDuration, parseDuration} from './duration.js'

// loaded when a question is asked, not on every run's startup; require because the lean bundle
// runs from a V8 code cache (vm.Script) without an ESM loader for import()
const readline = () => createRequire(import.meta.url)('node:readline/promises') as typeof import('node:readline/promises')

export function canPrompt(stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream): boolean {
  return Boolean(stdin.isTTY && stderr.isTTY)
}

export function approvalPrompt(asset: string, stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream): (denial: Denial) => Promise<number | null> {
  return async (denial) => {
    const rl = readline().createInterface({input: stdin, output: stderr, terminal: true})
    try {
      for (;;) {
        // the capability's default TTL: the same one the denial's `grant approve` suggestion names
        const defaultMs = ttlRule(denial.capability).defaultMs
        const answer = (await rl.question(`asset ${asset} requests ${denial.capability} — approve for ${formatDuration(defaultMs)}? [y/N/duration] `)).trim().toLowerCase()
        if (answer === 'y' || answer === 'yes') return defaultMs
        if (answer === '' || answer === 'n' || answer === 'no') return null
        try {
          return parseDuration(answer, 'duration')
        } catch {
          stderr.write('answer y, n, or a duration such as 30m or 8h\n')
        }
      }
    } finally {
      rl.close()
    }
  }
}
