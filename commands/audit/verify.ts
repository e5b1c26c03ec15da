import {verifyAudit} from '../../src/audit/query.js'
import type {AuditVerifyReport} from '../../src/audit/verify.js'
import {VaultCommand} from '../../src/cli/vault-command.js'

export default class AuditVerify extends VaultCommand<AuditVerifyReport> {
  static override summary = 'Walk the whole audit chain and name the first bad record (exit 10).'
  static override description = 'Checks every link of the hash chain across segments, every sealed record\'s keyed MAC, that unsealed records only deny (so a forged one cannot claim an approval), and that the record anchored in the vault is where the vault says. A log re-chained with recomputed unkeyed hashes does not pass.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<AuditVerifyReport> {
    const vault = await this.openVault()
    const report = verifyAudit(vault.audit, vault.keys.audit, vault.body.auditAnchor)
    this.log(`audit log ok: ${report.records} records in ${report.segments} segment(s), ${report.sealed} sealed${report.tornTail ? '; a torn trailing record will be repaired by the next write' : ''}`)
    return report
  }
}
