/** Shared test helpers: random canaries and expectations on VaultErrors. */
import {randomBytes} from 'node:crypto'
import {expect} from 'chai'

import {VaultError} from '../../src/cli/errors.js'

/** A random alphanumeric string of `length` characters (a secret canary). */
export function canary(length = 40): string {
  let out = ''
  while (out.length < length) out += randomBytes(length).toString('base64').replace(/[^A-Za-z0-9]/g, '')
  return out.slice(0, length)
}

export function randomHex(length: number): string {
  return randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length)
}

/** Base64url JWT with the given claims (unsigned, which is all the role check needs). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({alg: 'HS256', typ: 'JWT'})}.${part({...claims, nonce: canary(16)})}.${randomBytes(32).toString('base64url')}`
}

/** Run fn, expect a VaultError with `code`, and return it for further checks. */
export function expectVaultError(fn: () => unknown, code: string): VaultError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(VaultError)
    expect((error as VaultError).code).to.equal(code)
    return error as VaultError
  }
  expect.fail(`expected VaultError ${code}`)
}
