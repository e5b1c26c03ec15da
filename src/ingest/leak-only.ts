/**
 * Files checked for leaks only: build output and minified files (see walk.ts for why). Apart from
 * the walk so that the text half of a file's analysis (scan-file.ts) can tell without loading it.
 */

/** Build output: walked when not ignored, its files checked for leaks only. */
export const BUILD_DIRS: ReadonlySet<string> = new Set(['dist', 'build', 'out', '.next', '.nuxt', '.svelte-kit', '.output', 'target'])

function isMinifiedName(name: string): boolean {
  return name.endsWith('.min.js') || name.endsWith('.min.css') || name.endsWith('.min.mjs') || name.endsWith('.map')
}

/**
 * Whether a file (posix path relative to the scan root, as the walk yields it) is checked for
 * leaks only, with no evidence or manifest taken from it: it lies in build output, or it is
 * minified or a source map.
 */
export function isLeakOnlyPath(rel: string): boolean {
  let start = 0
  for (let slash = rel.indexOf('/'); slash !== -1; slash = rel.indexOf('/', start)) {
    if (BUILD_DIRS.has(rel.slice(start, slash))) return true
    start = slash + 1
  }
  return isMinifiedName(rel.slice(start))
}
