/** An asset's identity: package name and git remote when there are any, and a fingerprint of both plus the path. */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {blake2b} from '../secrets/crypto.js'

export interface AssetIdentity {
  packageName?: string
  gitRemote?: string
  fingerprint: string
}

function gitRemote(root: string): string | undefined {
  try {
    const config = readFileSync(join(root, '.git', 'config'), 'utf8')
    const section = /\[remote "origin"\]([^[]*)/.exec(config)?.[1]
    const url = section && /^\s*url\s*=\s*(\S+)/m.exec(section)?.[1]
    // credentials embedded in a remote URL are not identity: drop them
    return url?.replace(/\/\/[^/@]+@/, '//')
  } catch {
    return undefined
  }
}

export function assetIdentity(root: string, packageName: string | undefined): AssetIdentity {
  const remote = gitRemote(root)
  const fingerprint = blake2b(Buffer.from(`cv1/asset|${packageName ?? ''}|${remote ?? ''}|${root}`), undefined, 16).toString('hex')
  return {...(packageName ? {packageName} : {}), ...(remote ? {gitRemote: remote} : {}), fingerprint}
}
