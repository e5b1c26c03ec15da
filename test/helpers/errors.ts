import {expect} from 'chai'

import {VaultError} from '../../src/cli/errors.js'

/** Calls fn, which must throw a usage error (VaultError, exit 2), and returns it. */
export function usage(fn: () => unknown): VaultError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(VaultError)
    expect((error as VaultError).exitCode).to.equal(2)
    return error as VaultError
  }
  throw new Error('expected a usage error')
}
