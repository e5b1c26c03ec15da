import {expect} from 'chai'

import {parseProviderFile} from '../../src/secrets/providers/provider-file.js'
import {canary, expectVaultError} from './helpers.js'

const provider = (overrides: Record<string, unknown> = {}) => ({
  id: 'acme',
  name: 'Acme AI',
  capabilities: ['ai.acme.inference'],
  env: ['ACME_API_KEY'],
  keyFormats: [{id: 'acme-key', pattern: 'acme_[a-z0-9]{20}', keywords: ['acme_'], env: 'ACME_API_KEY'}],
  ...overrides,
})

const fileError = (value: unknown) => expectVaultError(() => parseProviderFile(typeof value === 'string' ? value : JSON.stringify(value)), 'INVALID_INPUT').message

describe('parseProviderFile', () => {
  it('accepts one provider object and fills defaults', () => {
    const [acme] = parseProviderFile(JSON.stringify(provider()))
    expect(acme.id).to.equal('acme')
    expect(acme.detect.constructors).to.deep.equal([])
    expect(acme.baseUrls).to.deep.equal([])
  })

  it('accepts a list, with a BOM', () => {
    const list = parseProviderFile(`\uFEFF${JSON.stringify([provider(), provider({id: 'other', capabilities: ['ai.other.inference'], keyFormats: []})])}`)
    expect(list.map((p) => p.id)).to.deep.equal(['acme', 'other'])
  })

  it('refuses an unknown field, naming its path', () => {
    expect(fileError([provider({colour: 'blue'})])).to.equal('provider file: [0].colour: unknown field')
    expect(fileError(provider({colour: 'blue'}))).to.equal('provider file: colour: unknown field')
    const nested = provider({keyFormats: [{id: 'k', pattern: 'a{3}', keywords: ['aa'], flags: 'i'}]})
    expect(fileError([provider({id: 'x', capabilities: ['ai.x.y']}), nested])).to.include('[1].keyFormats[0].flags: unknown field')
    expect(fileError([provider({detect: {npm: ['x'], pip: ['y']}})])).to.include('[0].detect.pip: unknown field')
  })

  it('refuses a capability that is not <domain>.<provider>.<action>', () => {
    expect(fileError([provider({capabilities: ['ai.acme.inference', 'acme-inference']})]))
      .to.include('provider file: [0].capabilities[1]: must be <domain>.<provider>.<action>')
    expect(fileError([provider({capabilities: ['ai.*.inference']})])).to.include('[0].capabilities[0]: must be <domain>.<provider>.<action>')
    expect(fileError([provider({capabilities: ['ai.openai.inference']})])).to.include('[0].capabilities[0]: must name this provider: <domain>.acme.<action>')
    expect(fileError([provider({capabilities: ['ai.acme.x', 'ai.acme.x']})])).to.include('[0].capabilities[1]: duplicate capability')
  })

  it('refuses bad regexes', () => {
    const bad = (pattern: string) => fileError([provider({keyFormats: [{id: 'k', pattern, keywords: ['ab']}]})])
    expect(bad('acme_[a-z')).to.match(/\[0\]\.keyFormats\[0\]\.pattern: not a valid regular expression/)
    expect(bad('(?i)acme_[a-z]{3}')).to.match(/\[0\]\.keyFormats\[0\]\.pattern: not a valid regular expression/)
    expect(bad('a*')).to.include('[0].keyFormats[0].pattern: pattern matches the empty string')
  })

  it('refuses other bad fields with their paths', () => {
    expect(fileError([provider({env: ['ACME_API_KEY', 'acme-key']})])).to.include('[0].env[1]: must match')
    expect(fileError([provider({id: 'Acme!'})])).to.include('[0].id: must be lowercase letters')
    expect(fileError([provider({name: undefined})])).to.include('[0].name: is required')
    expect(fileError([provider({env: []})])).to.include('[0].env: ')
    expect(fileError([provider({baseUrls: ['not a url']})])).to.include('[0].baseUrls[0]: ')
    expect(fileError([provider({keyFormats: [{id: 'k', pattern: 'ab{3}', keywords: ['AB']}]})])).to.include('[0].keyFormats[0].keywords[0]: must be lowercase')
    expect(fileError([provider({keyFormats: [{id: 'k', pattern: 'ab{3}', keywords: ['ab'], env: 'OTHER_KEY'}]})])).to.include('[0].keyFormats[0].env: "OTHER_KEY" is not one')
    expect(fileError([provider({publicEnv: ['ACME_API_KEY']})])).to.include('[0].publicEnv[0]: "ACME_API_KEY" is also listed in env')
    expect(fileError(['nope'])).to.include('[0]: ')
  })

  it('refuses env names run would refuse to inject, naming the field (env, publicEnv, keyFormats[].env)', () => {
    expect(fileError([provider({env: ['ACME_API_KEY', 'PATH']})])).to.include('[0].env[1]: refusing to inject PATH: it controls how programs start')
    expect(fileError(provider({env: ['LD_PRELOAD']}))).to.include('env[0]: refusing to inject LD_PRELOAD')
    expect(fileError(provider({env: ['ACME_API_KEY', 'NODE_OPTIONS', 'HOME', 'CODEX_VAULT_SESSION']})))
      .to.include('env[1]: refusing to inject NODE_OPTIONS').and.include('env[2]: refusing to inject HOME').and.include('env[3]: refusing to inject CODEX_VAULT_SESSION')
    expect(fileError(provider({publicEnv: ['DYLD_INSERT_LIBRARIES']}))).to.include('publicEnv[0]: refusing to inject DYLD_INSERT_LIBRARIES')
    // a format's env must be one of those names, so it cannot slip a refused name past the check
    const format = (env: string) => ({id: 'k', pattern: 'acme_[a-z]{8}', keywords: ['acme_'], env})
    expect(fileError(provider({keyFormats: [format('PYTHONPATH')]}))).to.include('keyFormats[0].env: "PYTHONPATH" is not one')
    expect(fileError(provider({env: ['ACME_API_KEY', 'PYTHONPATH'], keyFormats: [format('PYTHONPATH')]}))).to.include('env[1]: refusing to inject PYTHONPATH')
  })

  it('refuses key formats that could hang scan: nested quantifiers and backreferences', () => {
    const bad = (pattern: string) => fileError(provider({keyFormats: [{id: 'k', pattern, keywords: ['ab']}]}))
    expect(bad('(a+)+b')).to.include('keyFormats[0].pattern: nested quantifier "(a+)+"')
    expect(bad('ab(?:[a-z]+-?)*x')).to.include('keyFormats[0].pattern: nested quantifier')
    expect(bad('(ab)\\1')).to.include('keyFormats[0].pattern: backreference')
    const [ok] = parseProviderFile(JSON.stringify(provider({keyFormats: [{id: 'k', pattern: 'ab(?:[a-f0-9]{4}-){3}[a-f0-9]{12}', keywords: ['ab']}]})))
    expect(ok.keyFormats[0].pattern).to.equal('ab(?:[a-f0-9]{4}-){3}[a-f0-9]{12}')
  })

  it('refuses duplicate ids', () => {
    expect(fileError([provider(), provider()])).to.include('[1].id: duplicate provider id "acme" (also [0])')
  })

  it('refuses files that are not JSON, empty lists and non-objects, without quoting the file', () => {
    const secret = canary(32)
    const message = fileError(`{"id": "acme", "name": ${secret}}`)
    expect(message).to.match(/^provider file: not valid JSON/)
    expect(message).not.to.include(secret)
    expect(fileError([])).to.include('empty')
    expect(fileError('42')).to.include('one provider object or a list')
    expect(fileError('null')).to.include('one provider object or a list')
  })

  it('reports several problems at once and keeps them in details', () => {
    const error = expectVaultError(() => parseProviderFile(JSON.stringify([provider({colour: 1, env: ['bad']})])), 'INVALID_INPUT')
    expect((error.details!.problems as string[]).length).to.equal(2)
  })
})
