/**
 * oclif's own "command X not found" breaks the error contract (no `codex-vault:` prefix, no JSON
 * envelope, a colon-separated id, no suggestion). This hook answers instead: exit 2, the closest
 * commands, and `help` works as users expect although no help plugin is installed.
 */
import {type Hook, loadHelpClass} from '@oclif/core'

import {ExitCode} from '../errors.js'
import {hideKeyLike} from '../key-like.js'

function distance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]
}

/**
 * The commands of the topic typed (`asset bogus` -> asset list, asset show, ...), else up to three
 * commands whose names are close to what was typed (spaces, not oclif's colons).
 */
export function closestCommands(typed: string, known: string[]): string[] {
  const wanted = typed.replaceAll(':', ' ')
  const topic = wanted.split(' ')[0]
  const inTopic = known.map((id) => id.replaceAll(':', ' ')).filter((name) => name.startsWith(`${topic} `)).sort()
  if (wanted.includes(' ') && inTopic.length > 0) {
    // `secret lst` -> secret list; `asset bogus` -> every asset command
    const best = Math.min(...inTopic.map((name) => distance(wanted, name)))
    return best <= 2 ? inTopic.filter((name) => distance(wanted, name) === best) : inTopic
  }
  return known
    .map((id) => id.replaceAll(':', ' '))
    .map((name) => ({name, score: distance(wanted, name)}))
    .filter(({name, score}) => score <= Math.max(2, Math.floor(name.length / 3)) || name.startsWith(`${wanted} `))
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, 3)
    .map(({name}) => name)
}

const hook: Hook.CommandNotFound = async function (options) {
  const {id, argv = [], config} = options
  let typed = id.replaceAll(':', ' ')
  if (id === 'help' || id.startsWith('help:')) {
    const Help = await loadHelpClass(config)
    const wanted = [...id.split(':').slice(1), ...argv.filter((arg) => arg !== '--json')]
    try {
      await new Help(config).showHelp(wanted)
      return
    } catch {
      typed = wanted.join(' ') // `help bogus`: answered like `bogus`
    }
  }
  const known = config.commandIDs.filter((commandId) => !config.findCommand(commandId)?.hidden)
  const close = closestCommands(typed, known)
  const flagFirst = typed.startsWith('-')
  const message = flagFirst
    ? `flags go after the command name (${typed.split(' ')[0]} was given first)`
    : `there is no command "${typed}"`
  const suggestions = [
    ...(flagFirst ? ['e.g. codex-vault status --vault ./vault.cv'] : close.map((name) => `codex-vault ${name}`)),
    'codex-vault --help (every command); codex-vault <command> --help (its flags and examples)',
  ]
  process.exitCode = ExitCode.Usage
  if (argv.includes('--json') || id === '--json') {
    const failure = {error: {code: 'USAGE', message: hideKeyLike(message), suggestions: suggestions.map(hideKeyLike)}, status: ExitCode.Usage, warnings: []}
    process.stdout.write(`${JSON.stringify(failure, null, 2)}\n`)
    return
  }
  process.stderr.write(hideKeyLike([`codex-vault: ${message}`, ...suggestions.map((s) => `  try: ${s}`)].join('\n')) + '\n')
}

export default hook
