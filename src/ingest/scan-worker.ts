/**
 * Worker-thread entry for big scans: compiles the signatures once, then analyses batches of files
 * sent by scanProject and posts each batch's outcomes back in order. Known values arrive as views
 * over one SharedArrayBuffer (never copied into this thread's heap); the caller wipes it.
 */
import {parentPort, workerData} from 'node:worker_threads'
import {prepareKnownValues} from './leaks.js'
import {analyzeFile, encodeOutcomes, type FileContext, type FileOutcome} from './scan-file.js'
import type {WorkerInit, WorkerRequest, WorkerResponse} from './scan-pool.js'
import {compileSignatures} from './signatures.js'

function serve(init: WorkerInit): void {
  const port = parentPort
  if (!port) return
  const ctx: FileContext = {
    sig: compileSignatures(init.providers),
    known: prepareKnownValues(init.known.map((k) => ({value: Buffer.from(init.knownBytes!, k.start, k.length), label: k.label}))),
    buffer: Buffer.allocUnsafe(init.maxFileBytes),
    maxFileBytes: init.maxFileBytes,
  }
  port.on('message', (request: WorkerRequest) => {
    const outcomes: FileOutcome[] = []
    for (let i = 0; i < request.files.length; i += 2) outcomes.push(analyzeFile(ctx, request.files[i], request.files[i + 1]))
    const response: WorkerResponse = {id: request.id, outcomes: encodeOutcomes(outcomes)}
    port.postMessage(response)
  })
}

serve(workerData as WorkerInit)
