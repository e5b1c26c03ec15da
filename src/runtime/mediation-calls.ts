/**
 * What a mediated run did with its keys: each call's provider, method, upstream path and status,
 * counted, for the run's exit record. Query strings, headers and bodies are never kept: a query
 * may carry the key (Gemini's ?key=), and bodies are the user's data. Bounded, since an agent may
 * make thousands of calls to paths with ids in them.
 */
const MAX_DISTINCT = 200
const MAX_LINES = 20
const MAX_PATH = 160
const OTHER = '(other paths)'

export class CallTally {
  /** "provider METHOD /path" -> status -> count */
  private readonly counts = new Map<string, Map<number, number>>()

  note(provider: string, method: string | undefined, path: string, status: number): void {
    const shownPath = path.length > MAX_PATH ? `${path.slice(0, MAX_PATH)}…` : path
    let key = `${provider} ${method ?? '?'} ${shownPath}`
    if (!this.counts.has(key) && this.counts.size >= MAX_DISTINCT) key = `${provider} ${OTHER}`
    const byStatus = this.counts.get(key) ?? new Map<number, number>()
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1)
    this.counts.set(key, byStatus)
  }

  /** e.g. "openai POST /v1/chat/completions: 11× 200, 1× 429", most frequent first. */
  lines(): string[] {
    const total = (byStatus: Map<number, number>) => [...byStatus.values()].reduce((sum, n) => sum + n, 0)
    const entries = [...this.counts.entries()].sort((a, b) => total(b[1]) - total(a[1]) || a[0].localeCompare(b[0]))
    const lines = entries.slice(0, MAX_LINES).map(([key, byStatus]) =>
      `${key}: ${[...byStatus.entries()].sort((a, b) => a[0] - b[0]).map(([status, n]) => `${n}× ${status}`).join(', ')}`)
    const rest = entries.length - MAX_LINES
    if (rest > 0) lines.push(`… and ${rest} more distinct call(s)`)
    return lines
  }
}
