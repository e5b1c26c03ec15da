import {expect} from 'chai'

import {watchGrants} from '../../src/runtime/grant-watch.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('runtime/grant-watch', () => {
  it('checks again and again until a check refuses, then hands over that reason once and stops checking', async () => {
    let checks = 0
    const refusals: string[] = []
    watchGrants({
      intervalMs: 10,
      check: async () => (++checks >= 3 ? `grant g_1 expired (check ${checks})` : null),
      onRefusal: async (reason) => {
        refusals.push(reason)
      },
    })
    await sleep(150)
    expect(refusals).to.deep.equal(['grant g_1 expired (check 3)'])
    expect(checks).to.equal(3)
  })

  it('does nothing more once stopped, even with a check in flight', async () => {
    let checks = 0
    const refusals: string[] = []
    let release: (() => void) | undefined
    const watch = watchGrants({
      intervalMs: 10,
      check: async () => {
        checks++
        await new Promise<void>((resolve) => (release = resolve))
        return 'asset shop was disabled'
      },
      onRefusal: async (reason) => {
        refusals.push(reason)
      },
    })
    await sleep(40)
    watch.stop()
    release?.()
    await sleep(60)
    expect(checks).to.equal(1)
    expect(refusals, 'the child already exited: nothing to stop').to.deep.equal([])
  })
})
