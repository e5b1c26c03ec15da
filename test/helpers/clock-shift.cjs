// Preloaded into a spawned codex-vault (NODE_OPTIONS=--require <this file>) to fake a wrong
// system clock: Date, Date.now() and `new Date()` run CV_TEST_CLOCK_SHIFT_MS milliseconds ahead
// (or behind, when negative). Dates built from explicit values are untouched. Tests only.
'use strict'
const shift = Number(process.env.CV_TEST_CLOCK_SHIFT_MS || 0)
if (Number.isFinite(shift) && shift !== 0) {
  const RealDate = Date
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + shift)
      else super(...args)
    }

    static now() {
      return RealDate.now() + shift
    }
  }
  globalThis.Date = ShiftedDate
}
