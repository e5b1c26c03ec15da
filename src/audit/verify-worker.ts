/**
 * Worker thread of verify-pool.ts: for each batch, claim the ranges no one has claimed yet, check
 * them with verifyRange and post each result before marking its slot done (so the main thread finds
 * the message as soon as it sees the slot change). Errors become "no result": the main thread then
 * checks that range itself.
 */
import fs from 'node:fs'
import {type MessagePort, workerData} from 'node:worker_threads'

import {sodium} from '../secrets/sodium.js'

import {useNativeCrc32} from './checksum.js'
import {closeQuietly, openRead} from './files.js'
import {type BatchMessage, CLAIMED, DONE, PENDING, type ResultMessage} from './verify-pool.js'
import {type RangeResult, type RangeTask, verifyRange} from './verify-range.js'

useNativeCrc32() // this thread checks every record of its ranges
const port = (workerData as {port: MessagePort}).port

function check(batch: BatchMessage, task: RangeTask, slots: Int32Array, index: number): RangeResult | undefined {
  const fd = openRead(task.file)
  if (fd === null) return undefined
  try {
    const stat = fs.fstatSync(fd)
    // the live file may have been rotated away since the main thread opened it
    if (stat.dev !== batch.identity.dev || stat.ino !== batch.identity.ino) return undefined
    const key = Buffer.from(batch.key.buffer, batch.key.byteOffset, batch.key.byteLength)
    const size = batch.tasks.length
    return verifyRange(fd, task, key, batch.rules, () => {
      Atomics.add(slots, size + index, 1)
      return Atomics.load(slots, 2 * size) === 0
    })
  } finally {
    closeQuietly(fd)
  }
}

port.on('message', (batch: BatchMessage) => {
  const slots = new Int32Array(batch.slots)
  try {
    for (let index = 0; index < batch.tasks.length; index++) {
      if (Atomics.compareExchange(slots, index, PENDING, CLAIMED) !== PENDING) continue
      const message: ResultMessage = {id: batch.id, index}
      try {
        message.result = check(batch, batch.tasks[index], slots, index)
      } catch {
        // no result: the main thread checks this range and reports any I/O error itself
      }
      port.postMessage(message)
      Atomics.store(slots, index, DONE)
      Atomics.notify(slots, index)
    }
  } finally {
    sodium.sodium_memzero(batch.key as Buffer)
  }
})
