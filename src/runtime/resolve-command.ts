import {accessSync, constants, statSync} from 'node:fs'
import {delimiter, isAbsolute, join, resolve} from 'node:path'

import {VaultError} from '../cli/errors.js'

function isExecutableFile(path: string): 'ok' | 'missing' | 'denied' | 'directory' {
  try {
    const stat = statSync(path)
    if (stat.isDirectory()) return 'directory'
    if (!stat.isFile()) return 'missing'
  } catch {
    return 'missing'
  }
  try {
    accessSync(path, constants.X_OK)
    return 'ok'
  } catch {
    return 'denied'
  }
}

function notFound(command: string): VaultError {
  return new VaultError('INVALID_INPUT', `run: command not found: ${command}`, {
    suggestions: ['check the spelling, or give the full path to the program after --'],
    details: {exitCode: 127},
  })
}

function notExecutable(command: string): VaultError {
  return new VaultError('INVALID_INPUT', `run: permission denied: ${command} is not executable`, {
    suggestions: [`make it executable (chmod +x ${command}) or run it through its interpreter`],
    details: {exitCode: 126},
  })
}

function notAProgram(command: string): VaultError {
  return new VaultError('INVALID_INPUT', `run: ${command} is a directory, not a program`, {
    suggestions: ['give the path of the program to run after --'],
    details: {exitCode: 126},
  })
}

/**
 * Finds the program the way execvp would, using the child's PATH, so a missing command fails before anything is
 * spawned with the same clear error in pipe and pseudo-terminal mode (node-pty only reports a failed exec as output).
 * Errors carry details.exitCode 127 (not found) or 126 (not executable, or a directory given as a path), the
 * shell's conventions. A directory met while searching PATH is skipped, as execvp does.
 */
export function resolveCommand(command: string, env: Record<string, string>, cwd?: string): string {
  if (command === '' || command.includes('\0')) throw notFound(command)
  const base = cwd ?? process.cwd()
  if (command.includes('/')) {
    const path = isAbsolute(command) ? command : resolve(base, command)
    const state = isExecutableFile(path)
    if (state === 'ok') return path
    if (state === 'directory') throw notAProgram(command)
    throw state === 'denied' ? notExecutable(command) : notFound(command)
  }
  let denied = false
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    // an empty PATH entry means the current directory, as in execvp
    const candidate = dir === '' ? resolve(base, command) : join(isAbsolute(dir) ? dir : resolve(base, dir), command)
    const state = isExecutableFile(candidate)
    if (state === 'ok') return candidate
    if (state === 'denied') denied = true
  }
  throw denied ? notExecutable(command) : notFound(command)
}
