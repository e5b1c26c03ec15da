/** Capability names `<domain>.<provider>.<action>` and whole-segment wildcards (`ai.*.inference`). */
import {usageError} from '../cli/errors.js'

const SEGMENT = /^(?:[a-z][a-z0-9-]*|\*)$/

export function parseCapabilityPattern(text: string): string {
  const segments = text.split('.')
  if (segments.length !== 3 || !segments.every((segment) => SEGMENT.test(segment))) {
    throw usageError(`capability "${text}" must be <domain>.<provider>.<action>, e.g. ai.openai.inference; "*" may stand for a whole segment (ai.*.inference)`, [
      'see the capabilities providers offer: codex-vault provider list',
    ])
  }
  return text
}

export function capabilityMatches(pattern: string, capability: string): boolean {
  const want = pattern.split('.')
  const have = capability.split('.')
  return want.length === have.length && want.every((segment, index) => segment === '*' || segment === have[index])
}

export const isWildcard = (pattern: string) => pattern.split('.').includes('*')

/** What `run --capability` takes: one concrete capability, no wildcard (a grant may hold one; a run asks for what it uses). */
export function parseConcreteCapability(text: string): string {
  parseCapabilityPattern(text)
  if (isWildcard(text)) {
    throw usageError(`run --capability takes a concrete capability, not the pattern "${text}"`, ['name the one the app uses, e.g. ai.openai.inference; see codex-vault provider list'])
  }
  return text
}
