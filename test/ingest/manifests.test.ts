import {expect} from 'chai'
import {parseManifest} from '../../src/ingest/manifests.js'
import {compileSignatures, goModuleKey, goPathProviders} from '../../src/ingest/signatures.js'
import {testProviders} from './fixtures/catalog.js'

const sig = compileSignatures(testProviders)

function deps(rel: string, text: string): string[] {
  const parsed = parseManifest(rel, text, sig)
  return parsed ? parsed.evidence.map((e) => `${e.line}:${e.provider}:${e.detail}`) : []
}

describe('ingest manifests', () => {
  it('package.json: dependencies, devDependencies and peerDependencies, with the name', () => {
    const text = JSON.stringify({name: 'web', dependencies: {express: '4'}, devDependencies: {openai: '4'}, peerDependencies: {stripe: '1'}}, null, 2)
    expect(deps('web/package.json', text)).to.deep.equal(['7:openai:openai', '10:stripe:stripe'])
    expect(parseManifest('web/package.json', text, sig)?.manifest).to.deep.equal({file: 'web/package.json', name: 'web'})
  })

  it('a malformed package.json is still a manifest, with no evidence', () => {
    expect(parseManifest('package.json', '{"name": "x", ', sig)).to.deep.equal({manifest: {file: 'package.json'}, evidence: []})
    expect(parseManifest('package.json', '[1,2]', sig)).to.deep.equal({manifest: {file: 'package.json'}, evidence: []})
  })

  it('requirements*.txt: names with extras, pins and markers; comments and options ignored', () => {
    const text = '# anthropic is great\n-r base.txt\nopenai[datalib]>=1.0\nStripe==9.0 ; python_version>"3.8"\nhuggingface-hub\n'
    expect(deps('requirements-dev.txt', text)).to.deep.equal(['3:openai:openai', '4:stripe:Stripe', '5:huggingface:huggingface-hub'])
  })

  it('pyproject.toml: PEP 621 arrays (multi-line, optional groups) and Poetry tables', () => {
    const text = [
      '[project]', 'name = "svc"', 'dependencies = [', '  "openai[realtime]>=1",', '  "requests",', ']',
      '[project.optional-dependencies]', 'ai = ["anthropic>=0.3", "groq"]',
      '[tool.poetry.dependencies]', 'python = "^3.11"', 'stripe = "^9"',
      '[tool.poetry.group.dev.dependencies]', 'google-genai = "*"',
    ].join('\n')
    expect(deps('pyproject.toml', text)).to.deep.equal(['4:openai:openai', '8:anthropic:anthropic', '8:groq:groq', '11:stripe:stripe', '13:gemini:google-genai'])
    expect(parseManifest('pyproject.toml', text, sig)?.manifest.name).to.equal('svc')
  })

  it('Pipfile, Cargo.toml, Gemfile, composer.json, go.mod', () => {
    expect(deps('Pipfile', '[packages]\nopenai = "*"\n[dev-packages]\ngroq = "*"\n[requires]\npython_version = "3.12"\n')).to.deep.equal(['2:openai:openai', '4:groq:groq'])
    const cargo = sig.byCargo
    expect(cargo.size).to.equal(0) // the test catalog lists no crates: map one ad hoc
    const withCrate = compileSignatures([{...testProviders[0], detect: {...testProviders[0].detect, cargo: ['async-openai']}}])
    const cargoToml = '[package]\nname = "bot"\n[dependencies]\nasync-openai = "0.2"\n[dependencies.serde]\nversion = "1"\n'
    expect(parseManifest('Cargo.toml', cargoToml, withCrate)).to.deep.equal({
      manifest: {file: 'Cargo.toml', name: 'bot'},
      evidence: [{file: 'Cargo.toml', line: 4, kind: 'manifest-dependency', provider: 'openai', strength: 'medium', detail: 'async-openai'}],
    })
    expect(deps('Gemfile', "source 'https://rubygems.org'\ngem 'rails'\ngem \"stripe\", '~> 10'\n")).to.deep.equal(['3:stripe:stripe'])
    expect(deps('composer.json', JSON.stringify({name: 'a/b', require: {'stripe/stripe-php': '^13'}}, null, 2))).to.deep.equal(['4:stripe:stripe/stripe-php'])
    expect(deps('go.mod', 'module m\n\nrequire github.com/stripe/stripe-go/v79 v79.0.0\nrequire (\n\tgithub.com/openai/openai-go v1 // indirect\n)\n')).to.deep.equal([
      '3:stripe:github.com/stripe/stripe-go/v79', '5:openai:github.com/openai/openai-go',
    ])
  })

  it('go.mod and Go imports match a catalog path at any /vN major version', () => {
    const pinned = compileSignatures([{...testProviders[3], detect: {...testProviders[3].detect, go: ['github.com/stripe/stripe-go/v82']}}])
    const gomod = parseManifest('go.mod', 'module m\n\nrequire (\n\tgithub.com/stripe/stripe-go/v79 v79.0.0\n\tgithub.com/stripe/stripe-go-extra v1.0.0\n)\n', pinned)
    expect(gomod?.evidence.map((e) => `${e.line}:${e.provider}:${e.detail}`)).to.deep.equal(['4:stripe:github.com/stripe/stripe-go/v79'])
    expect(goPathProviders(pinned, 'github.com/stripe/stripe-go/v100/customer').map((p) => p.id)).to.deep.equal(['stripe'])
    expect(goPathProviders(pinned, 'github.com/stripe/stripe-go').map((p) => p.id)).to.deep.equal(['stripe'])
    expect(goPathProviders(pinned, 'github.com/stripe/stripe-governance').map((p) => p.id)).to.deep.equal([])
    expect(goModuleKey('github.com/jackc/pgx/v5/pgxpool')).to.equal('github.com/jackc/pgx/pgxpool')
    expect(goModuleKey('github.com/acme/vault/v2beta')).to.equal('github.com/acme/vault/v2beta')
  })

  it('ignores files that are not manifests', () => {
    expect(parseManifest('src/package.ts', '{}', sig)).to.equal(undefined)
  })
})
