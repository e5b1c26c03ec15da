import {spawnSync} from 'node:child_process'

import {expect} from 'chai'

import {VaultError} from '../../src/cli/errors.js'
import {buildChildEnv, validateInjectedEnvName} from '../../src/runtime/env.js'
import {canary} from './helpers.js'

function refused(fn: () => unknown): VaultError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(VaultError)
    expect((error as VaultError).code).to.equal('INVALID_INPUT')
    return error as VaultError
  }
  throw new Error('expected a VaultError')
}

describe('runtime/env', () => {
  it('accepts ordinary provider variable names', () => {
    for (const name of ['OPENAI_API_KEY', '_X', 'A', 'GOOGLE_APPLICATION_CREDENTIALS', 'A'.repeat(128)]) validateInjectedEnvName(name)
  })

  it('refuses malformed and dangerous names', () => {
    const bad = ['A=B', '', 'a\0b', 'lower', '1ABC', 'A-B', 'A'.repeat(129), 'PATH', 'NODE_OPTIONS', 'NODE_PATH', 'LD_PRELOAD',
      'LD_LIBRARY_PATH', 'DYLD_INSERT_LIBRARIES', 'BASH_ENV', 'ENV', 'PS4', 'PROMPT_COMMAND', 'IFS', 'SHELLOPTS', 'PERL5OPT',
      'PYTHONPATH', 'PYTHONSTARTUP', 'RUBYOPT', 'JAVA_TOOL_OPTIONS', 'HOME', 'SHELL', 'CODEX_VAULT_SESSION', 'CODEX_VAULT_X']
    for (const name of bad) {
      const error = refused(() => validateInjectedEnvName(name))
      expect(error.message).to.match(/^run: /)
      expect(error.suggestions.length).to.be.greaterThan(0)
    }
  })

  it('never passes CODEX_VAULT_* on and adds exactly the injected values', () => {
    const secret = canary()
    const session = canary()
    const parent = {HOME: '/home/x', PATH: '/usr/bin:/bin', EDITOR: 'vi', CODEX_VAULT_SESSION: session, CODEX_VAULT_PASSPHRASE: session, UNDEF: undefined}
    const env = buildChildEnv({parent, inject: {OPENAI_API_KEY: secret}, clean: false})
    expect(env).to.deep.equal({HOME: '/home/x', PATH: '/usr/bin:/bin', EDITOR: 'vi', OPENAI_API_KEY: secret})
  })

  it('clean mode keeps only the allow-list plus the injected values', () => {
    const secret = canary()
    const parent = {HOME: '/h', PATH: '/bin', USER: 'u', LANG: 'C.UTF-8', TERM: 'xterm', TMPDIR: '/tmp', SHELL: '/bin/sh',
      LC_ALL: 'C', LC_CTYPE: 'C', EDITOR: 'vi', AWS_SECRET_ACCESS_KEY: canary(), CODEX_VAULT_SESSION: canary()}
    const env = buildChildEnv({parent, inject: {ANTHROPIC_API_KEY: secret}, clean: true})
    expect(Object.keys(env).sort()).to.deep.equal(['ANTHROPIC_API_KEY', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'PATH', 'SHELL', 'TERM', 'TMPDIR', 'USER'])
  })

  it('refuses injected values with NUL and bad injected names, without echoing the value', () => {
    const secret = canary()
    const error = refused(() => buildChildEnv({parent: {}, inject: {OPENAI_API_KEY: `${secret}\0x`}, clean: false}))
    expect(error.message).to.not.include(secret)
    expect(error.message).to.include('OPENAI_API_KEY')
    refused(() => buildChildEnv({parent: {}, inject: {PATH: '/evil'}, clean: false}))
    refused(() => buildChildEnv({parent: {}, inject: {'A=B': 'v'}, clean: false}))
  })

  it('a real child sees exactly the built environment', () => {
    const secret = canary()
    const env = buildChildEnv({parent: {...process.env, CODEX_VAULT_SESSION: canary()}, inject: {OPENAI_API_KEY: secret}, clean: true})
    const result = spawnSync(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(process.env))'], {env, encoding: 'utf8'})
    const seen = JSON.parse(result.stdout) as Record<string, string>
    expect(seen.OPENAI_API_KEY).to.equal(secret)
    expect(Object.keys(seen).filter((k) => k.startsWith('CODEX_VAULT_'))).to.deep.equal([])
    for (const key of Object.keys(seen)) expect(Object.keys(env), key).to.include(key)
  })
})
