import {VaultError} from '../cli/errors.js'

const NAME_PATTERN = /^[A-Z_][A-Z0-9_]{0,127}$/

/**
 * Names that change how the child (or its interpreter, loader or shell) runs code, or where its
 * traffic goes and whom it trusts (a proxy plus an extra CA, or TLS checks off, would let a provider
 * file read the child's requests): a grant must never set them.
 */
const DENIED_NAMES = new Set([
  'PATH', 'NODE_OPTIONS', 'NODE_PATH', 'BASH_ENV', 'ENV', 'PS4', 'PROMPT_COMMAND', 'IFS', 'SHELLOPTS',
  'PERL5OPT', 'PYTHONPATH', 'PYTHONSTARTUP', 'PYTHONHOME', 'RUBYOPT', 'JAVA_TOOL_OPTIONS', 'HOME', 'SHELL', 'TMPDIR',
  'GCONV_PATH', 'GIT_SSH', 'GIT_SSH_COMMAND', 'GIT_ASKPASS', 'SSH_ASKPASS', 'GIT_EXEC_PATH', 'GIT_CONFIG_GLOBAL',
  'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY',
  'NODE_EXTRA_CA_CERTS', 'NODE_TLS_REJECT_UNAUTHORIZED', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE',
])
const DENIED_PREFIXES = ['LD_', 'DYLD_', 'CODEX_VAULT_']

/** What a clean environment keeps from the parent, so ordinary tools still find themselves and the terminal. */
const CLEAN_ALLOW = new Set(['PATH', 'HOME', 'USER', 'LANG', 'TERM', 'TMPDIR', 'SHELL'])

function shown(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name)
}

/** Thrown as VaultError('INVALID_INPUT') for names a grant may not inject. */
export function validateInjectedEnvName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new VaultError('INVALID_INPUT', `run: invalid environment variable name ${shown(name)}`, {
      suggestions: ['use upper-case letters, digits and underscores, starting with a letter or underscore (at most 128 characters)'],
    })
  }
  if (DENIED_NAMES.has(name) || DENIED_PREFIXES.some((prefix) => name.startsWith(prefix))) {
    throw new VaultError('INVALID_INPUT', `run: refusing to inject ${name}: it controls how programs start, connect or trust, not a provider key`, {
      suggestions: ['store the key under its provider variable name (for example OPENAI_API_KEY)'],
    })
  }
}

function isVaultInternal(name: string): boolean {
  return name.startsWith('CODEX_VAULT_')
}

/**
 * The child's environment: the parent's minus every CODEX_VAULT_* variable (the session token and passphrase
 * must never reach the child), or only a small allow-list when clean, plus exactly the injected secrets.
 */
export function buildChildEnv(options: {parent: NodeJS.ProcessEnv; inject: Record<string, string>; clean: boolean}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(options.parent)) {
    if (value === undefined || name === '' || isVaultInternal(name)) continue
    if (options.clean && !CLEAN_ALLOW.has(name) && !name.startsWith('LC_')) continue
    env[name] = value
  }
  for (const [name, value] of Object.entries(options.inject)) {
    validateInjectedEnvName(name)
    if (typeof value !== 'string' || value.includes('\0')) {
      throw new VaultError('INVALID_INPUT', `run: the value for ${name} contains a NUL byte and cannot be passed in the environment`, {
        suggestions: [`store ${name} again without the NUL byte`],
      })
    }
    env[name] = value
  }
  return env
}
