import {expect} from 'chai'

import {VaultError} from '../../src/cli/errors.js'
import {exemptMediatorFromProxies, shownProxy, upstreamProxy} from '../../src/runtime/proxy-env.js'

const PROXY_NAMES = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy', 'NO_PROXY']

/** Runs fn with exactly these proxy variables in process.env (the mediator reads its own environment). */
function withProxyEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const saved = Object.fromEntries(PROXY_NAMES.map((name) => [name, process.env[name]]))
  for (const name of PROXY_NAMES) delete process.env[name]
  Object.assign(process.env, vars)
  try {
    return fn()
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
}

describe('runtime/proxy-env', () => {
  const openai = new URL('https://api.openai.com/v1')

  describe('upstreamProxy', () => {
    it('is null when no proxy variable is set', () => {
      expect(withProxyEnv({}, () => upstreamProxy(openai))).to.equal(null)
    })

    it('takes HTTPS_PROXY, then ALL_PROXY, with the lower-case name first as curl does', () => {
      expect(withProxyEnv({HTTPS_PROXY: 'http://proxy.corp:3128'}, () => upstreamProxy(openai)?.href)).to.equal('http://proxy.corp:3128/')
      expect(withProxyEnv({ALL_PROXY: 'http://all.corp:8080'}, () => upstreamProxy(openai)?.href)).to.equal('http://all.corp:8080/')
      expect(withProxyEnv({https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2'}, () => upstreamProxy(openai)?.host)).to.equal('lower:1')
      expect(withProxyEnv({HTTP_PROXY: 'http://plain-only:3128'}, () => upstreamProxy(openai)), 'HTTP_PROXY is for http URLs').to.equal(null)
    })

    it('honours NO_PROXY: exact hosts, domain suffixes and *', () => {
      for (const noProxy of ['api.openai.com', '.openai.com', '*.openai.com', 'example.org, openai.com', 'OPENAI.COM', 'api.openai.com:443', '*']) {
        expect(withProxyEnv({HTTPS_PROXY: 'http://proxy.corp:3128', NO_PROXY: noProxy}, () => upstreamProxy(openai)), noProxy).to.equal(null)
      }
      for (const noProxy of ['example.org', 'penai.com', 'api.openai.com:8443', 'openai.com.evil']) {
        expect(withProxyEnv({HTTPS_PROXY: 'http://proxy.corp:3128', NO_PROXY: noProxy}, () => upstreamProxy(openai)), noProxy).not.to.equal(null)
      }
      expect(withProxyEnv({HTTPS_PROXY: 'proxy.corp:3128'}, () => upstreamProxy(openai)?.href), 'a bare host:port, as curl reads it').to.equal('http://proxy.corp:3128/')
    })

    it('never proxies a loopback or plain-http upstream', () => {
      withProxyEnv({HTTPS_PROXY: 'http://proxy.corp:3128', HTTP_PROXY: 'http://proxy.corp:3128', ALL_PROXY: 'http://proxy.corp:3128'}, () => {
        for (const url of ['https://127.0.0.1:8443/v1', 'https://localhost/v1', 'https://[::1]:9/v1', 'http://127.0.0.1:8080/v1']) expect(upstreamProxy(new URL(url)), url).to.equal(null)
      })
    })

    it('refuses a proxy it cannot use without showing its URL, which may hold credentials', () => {
      for (const value of ['socks5://user:s3cret-proxy-pw@proxy.corp:1080', 'ftp://user:s3cret-proxy-pw@x', 'http://user:s3cret-proxy-pw/with-slash@proxy.corp:3128']) {
        let thrown: unknown
        withProxyEnv({ALL_PROXY: value}, () => {
          try {
            upstreamProxy(openai)
          } catch (error) {
            thrown = error
          }
        })
        expect(thrown, value).to.be.instanceOf(VaultError)
        expect((thrown as VaultError).code).to.equal('INVALID_INPUT')
        expect((thrown as VaultError).message).to.include('api.openai.com').and.not.include('s3cret-proxy-pw')
        expect(JSON.stringify((thrown as VaultError).suggestions)).to.include('NO_PROXY')
      }
    })

    it('shows a proxy by its origin only', () => {
      expect(shownProxy(new URL('http://user:s3cret@proxy.corp:3128/'))).to.equal('http://proxy.corp:3128')
    })
  })

  describe('exemptMediatorFromProxies', () => {
    it('leaves an environment without proxy variables as it is', () => {
      expect(exemptMediatorFromProxies({PATH: '/bin', NO_PROXY: 'x'})).to.deep.equal({PATH: '/bin', NO_PROXY: 'x'})
    })

    it('adds the mediator address to NO_PROXY and no_proxy, keeping what they held', () => {
      expect(exemptMediatorFromProxies({http_proxy: 'http://p:1'})).to.deep.equal({http_proxy: 'http://p:1', NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1'})
      expect(exemptMediatorFromProxies({HTTPS_PROXY: 'http://p:1', NO_PROXY: 'corp.internal, .svc'})).to.include({NO_PROXY: 'corp.internal,.svc,127.0.0.1', no_proxy: 'corp.internal,.svc,127.0.0.1'})
      expect(exemptMediatorFromProxies({ALL_PROXY: 'http://p:1', no_proxy: 'a', NO_PROXY: 'b'})).to.include({no_proxy: 'a,127.0.0.1', NO_PROXY: 'b,127.0.0.1'})
    })

    it('does not add the address twice, nor to a NO_PROXY of *', () => {
      expect(exemptMediatorFromProxies({HTTP_PROXY: 'http://p:1', NO_PROXY: '127.0.0.1', no_proxy: '*'})).to.include({NO_PROXY: '127.0.0.1', no_proxy: '*'})
    })
  })
})
