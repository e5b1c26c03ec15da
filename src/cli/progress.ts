/** A one-line progress counter on stderr, only on a terminal and only once a scan takes a while. */
export function scanProgress(stream: NodeJS.WriteStream): {update(progress: {files: number; bytes: number}): void; done(): void} {
  const started = Date.now()
  let shown = false
  return {
    update({files, bytes}) {
      if (!stream.isTTY || Date.now() - started < 500) return
      shown = true
      stream.write(`\r\u001B[2Kscanning: ${files} files, ${(bytes / 1024 / 1024).toFixed(1)} MB`)
    },
    done() {
      if (shown) stream.write('\r\u001B[2K')
    },
  }
}
