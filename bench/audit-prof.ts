import fs from 'node:fs'
import {generateAuditLog, randomAuditKey} from './audit-gen.js'
import {AuditLog} from '../src/audit/log.js'
const f = '/tmp/smoke/p.audit'; fs.rmSync(f, {force: true})
const key = randomAuditKey()
const a = generateAuditLog(f, 200000, key)
for (let i = 0; i < 5; i++) {
  const c = process.cpuUsage(); const t2 = performance.now()
  const ok = new AuditLog({path: f}).verify(key, a).ok
  const u = process.cpuUsage(c)
  console.log(ok, 'wall', (performance.now() - t2).toFixed(0), 'cpu ms', ((u.user + u.system) / 1000).toFixed(0))
}
