/**
 * `run --while-granted`: the child runs only for as long as what allowed it still holds. A plain
 * run's key is in the child's environment from its start, so an expiry or a revocation cannot take
 * it back; what can be done is to end the child. Once a second the vault is checked again
 * (mediation-check.ts: a stat, and a fresh authenticated read only when the file changed); the
 * first refusal ends the watch and hands its reason to `onRefusal`, which records it and stops
 * the child.
 */
/** How often the grants are checked again: the bound on how late a stop can come. */
export const WATCH_INTERVAL_MS = 1000
/** How long the child has between SIGTERM and SIGKILL once its grants stop holding. */
export const STOP_GRACE_MS = 5000

export interface GrantWatch {
  /** ends the watch (the child exited); idempotent */
  stop(): void
}

export function watchGrants(options: {check: () => Promise<string | null>; onRefusal: (reason: string) => Promise<void>; intervalMs?: number}): GrantWatch {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  const tick = async () => {
    if (stopped) return
    const reason = await options.check()
    if (stopped) return
    if (reason === null) {
      schedule()
      return
    }
    stopped = true
    await options.onRefusal(reason)
  }
  // unref: the child's own handle keeps this process alive; the watch must never do so on its own
  const schedule = () => {
    timer = setTimeout(() => void tick(), options.intervalMs ?? WATCH_INTERVAL_MS)
    timer.unref()
  }
  schedule()
  return {
    stop() {
      stopped = true
      clearTimeout(timer)
    },
  }
}
