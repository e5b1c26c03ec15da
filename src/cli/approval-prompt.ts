/** The terminal question `run` asks about a missing grant: y, N (default) or a duration. */
import {createInterface} from 'node:readline/promises'

import type {Denial} from '../runtime/authorize.js'
import {parseDuration} from './duration.js'

const DEFAULT_TTL_MS = 3_600_000

export function canPrompt(stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream): boolean {
  return Boolean(stdin.isTTY && stderr.isTTY)
}

export function approvalPrompt(asset: string, stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream): (denial: Denial) => Promise<number | null> {
  return async (denial) => {
    const rl = createInterface({input: stdin, output: stderr, terminal: true})
    try {
      for (;;) {
        const answer = (await rl.question(`asset ${asset} requests ${denial.capability} — approve for 1h? [y/N/duration] `)).trim().toLowerCase()
        if (answer === 'y' || answer === 'yes') return DEFAULT_TTL_MS
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
