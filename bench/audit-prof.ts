import fs from 'node:fs'
import {generateAuditLog, randomAuditKey} from './audit-gen.js'
import {AuditLog} from '../src/audit/log.js'
const f = '/tmp/smoke/p.audit'; fs.rmSync(f, {force: true})
const key = randomAuditKey()
const a = generateAuditLog(f, 200000, key)
const t = performance.now()
console.log(new AuditLog({path: f}).verify(key, a).ok, 'verify', performance.now() - t)
