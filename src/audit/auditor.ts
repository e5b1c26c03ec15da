/**
 * The dependency that commands and domain code receive to record events, so they never deal with
 * files, keys or sealing themselves. The key getter is called per event: before unlock it returns
 * null and denials are written chain-only; after unlock they are sealed.
 */
import type {AuditAnchor, AuditEvent} from './events.js'
import type {AuditLog} from './log.js'

export interface Auditor {
  record(event: AuditEvent): AuditAnchor
}

/** An Auditor writing to `log`; `key()` returns the audit MAC key when the vault is unlocked. */
export function createAuditor(log: AuditLog, key: () => Buffer | null): Auditor {
  return {record: (event) => log.append(event, key())}
}

/** In-memory Auditor for tests of code that records events; `fail` makes record throw (e.g. AUDIT_UNAVAILABLE). */
export class MemoryAuditor implements Auditor {
  readonly events: AuditEvent[] = []
  fail?: Error

  record(event: AuditEvent): AuditAnchor {
    if (this.fail) throw this.fail
    this.events.push(structuredClone(event))
    return {segment: 0, seq: this.events.length - 1, offset: 0, head: '0'.repeat(64)}
  }
}
