/**
 * sodium-native loaded with require(): importing a CommonJS addon from ESM makes Node lex its
 * source for named exports on every start, a measurable cost on `run`'s hot path.
 */
import {createRequire} from 'node:module'

export const sodium = createRequire(import.meta.url)('sodium-native') as typeof import('sodium-native')
