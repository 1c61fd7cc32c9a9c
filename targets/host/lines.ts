// Split a stream of text into lines (the node protocol is one JSON message per line).
import type { Readable } from "node:stream";

export function onLines(stream: Readable, fn: (line: string) => void): void {
  let buffered = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) fn(line);
    }
  });
}
