/**
 * Canonical JSON: sorted keys, no whitespace. Parsing re-serialises and requires byte identity,
 * which refuses duplicate keys, odd spacing and any other malleable encoding of the same value.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => sortKeys(item))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key]
      if (item !== undefined) out[key] = sortKeys(item)
    }
    return out
  }
  return value
}

/** Parse text that must already be canonical; returns undefined on any deviation. */
export function parseCanonicalJson(text: string): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  return canonicalJson(value) === text ? value : undefined
}
