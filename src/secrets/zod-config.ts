import {config} from 'zod'

/**
 * A command parses each schema about once, and zod's JIT pays for compiling a fast path on the
 * first parse (measured here: ~8 ms vs ~4 ms per schema without it). zod reads the setting when a
 * schema is constructed, and schemas are built at module load, so this module sets it as a side
 * effect and entry points import it before anything else.
 */
config({jitless: true})
