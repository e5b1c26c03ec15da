/** `status` without oclif (see lean-run.ts for why); same flow, same output, same exit codes. */
import {errorJson, errorText, exitCodeOf} from './render-error.js'
import {renderStatus} from './render-status.js'
import {collectStatus, statusFailure} from './status-flow.js'
import type {CommandEnv} from './context.js'

export async function leanStatus(env: CommandEnv, json: boolean, warnings: string[]): Promise<number> {
  try {
    const outcome = await collectStatus(env)
    outcome.vault?.close()
    if (!json) process.stdout.write(`${renderStatus(outcome.status)}\n`)
    if (outcome.error) throw statusFailure(outcome)
    if (json) process.stdout.write(`${JSON.stringify({result: outcome.status, status: 0, warnings}, null, 2)}\n`)
    return 0
  } catch (error) {
    if (json) process.stdout.write(`${JSON.stringify(errorJson(error as Error, warnings), null, 2)}\n`)
    else process.stderr.write(errorText(error as Error))
    return exitCodeOf(error as Error)
  }
}
