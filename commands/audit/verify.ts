import {verifyAudit} from '../../src/audit/query.js'
import type {AuditVerifyReport} from '../../src/audit/verify.js'
import {VaultCommand} from '../../src/cli/vault-command.js'

export default class AuditVerify extends VaultCommand<AuditVerifyReport> {
  static override summary = 'Walk the whole audit chain and name the first bad record (exit 5 if damaged or forged, 10 if records are missing).'
  static override description = 'Checks every link of the hash chain across segments, every sealed record\'s keyed MAC, that unsealed records only deny (so a forged one cannot claim an approval), and that the record anchored in the vault is where the vault says. A log re-chained with recomputed unkeyed hashes does not pass. Exit 5 (INTEGRITY): a record was damaged, edited, reordered or forged. Exit 10 (ROLLBACK): records are missing (truncated log, missing segment, older log or older vault).'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<AuditVerifyReport> {
    const vault = await this.openVault({deferAuditCheck: true})
    const report = verifyAudit(vault.audit, vault.keys.audit, vault.body.auditAnchor, vault.auditCheckFailure)
    this.log(`audit log ok: ${report.records} records in ${report.segments} segment(s), ${report.sealed} sealed${report.tornTail ? '; a torn trailing record will be repaired by the next write' : ''}`)
    return report
  }
}
