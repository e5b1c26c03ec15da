/**
 * Parsing the JSON file given to `provider add FILE`: one provider object or a list of them, held to
 * the admission rules as well (validate.ts): these definitions are about to enter the catalog.
 */
import {VaultError} from '../../cli/errors.js'
import type {Provider} from './schema.js'
import {validateProviders} from './validate.js'

const LABEL = 'provider file'

export function parseProviderFile(text: string): Provider[] {
  let data: unknown
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (error) {
    // V8 quotes the surrounding text in its message; report only the position.
    const position = /position (\d+)/.exec((error as Error).message)?.[1]
    throw new VaultError('INVALID_INPUT', `${LABEL}: not valid JSON${position === undefined ? '' : ` (at character ${position})`}`, {
      suggestions: ['check the file with a JSON validator; it must hold one provider object or a list of them'],
    })
  }
  if (Array.isArray(data)) {
    if (data.length === 0) throw new VaultError('INVALID_INPUT', `${LABEL}: the list is empty; add at least one provider`)
    return validateProviders(data, LABEL, true, {admission: true})
  }
  if (data === null || typeof data !== 'object') {
    throw new VaultError('INVALID_INPUT', `${LABEL}: must hold one provider object or a list of them`)
  }
  return validateProviders([data], LABEL, false, {admission: true})
}
