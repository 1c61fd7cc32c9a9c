// Leaving the CLI without losing output. On Linux a pipe takes 64 KiB at once; the rest of a
// large write waits in Node's queue, and process.exit() drops it (`check --json | wc -c`
// stopped at 65536). So every exit of the CLI goes through exitWhenFlushed.

/** Exit with `code` once everything written to stdout and stderr so far has reached them. */
export async function exitWhenFlushed(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

/** Resolves when every earlier write of `stream` is out: a write's callback runs after the
 *  writes queued before it. A stream that is gone (the reader closed the pipe) is done. */
export function flushed(stream: NodeJS.WritableStream & { destroyed?: boolean }): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write("", () => resolve());
  });
}

/** A reader that closes the pipe early (`faultline check --json | head`) is not an error of
 *  ours: stop writing there, and go on (a run still heals and tears down). */
export function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") {
        stream.destroy();
        return;
      }
      throw err;
    });
  }
}
