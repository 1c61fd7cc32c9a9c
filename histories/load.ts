// loadHistory: read a history in any format Faultline understands, detecting which.
//   - our JSONL (history.jsonl): lines starting with `{"`
//   - Jepsen EDN (history.edn): a vector/list of maps, or maps one per line
//   - Jepsen log lines (jepsen.log): lines containing `jepsen.util - <process> :<type>`
import fs from "node:fs";
import net from "node:net";
import { UserError } from "../core/errors.ts";
import { parseJsonl, readHistory } from "./jsonl.ts";
import { parseJepsenEdn, parseJepsenLog } from "./jepsen.ts";
import type { Op } from "./op.ts";

/** What the CLI makes of a lone "-" argument. */
export const STDIN = "/dev/stdin";

export type HistoryFormat = "jsonl" | "edn" | "jepsen-log";

/** Guesses the format from the content (first meaningful character), then the file name. */
export function detectFormat(text: string, path: string): HistoryFormat {
  if (/jepsen\.util - \S+[ \t]+:(invoke|ok|fail|info)/.test(text.slice(0, 1 << 20)))
    return "jepsen-log";
  const first = /[^\s,]/.exec(text);
  if (first) {
    const c = first[0];
    const rest = text.slice(first.index + 1).trimStart();
    if (c === "{" && rest.startsWith('"')) return "jsonl";
    if (c === "{" || c === "[" || c === "(" || c === ";" || c === "#") return "edn";
  }
  if (path.endsWith(".jsonl") || path.endsWith(".json")) return "jsonl";
  if (path.endsWith(".log")) return "jepsen-log";
  return "edn";
}

/** Parses history text of a known format. */
export function parseHistory(text: string, format: HistoryFormat, path: string): Op[] {
  switch (format) {
    case "jsonl":
      return parseJsonl(text, path);
    case "edn":
      return parseJepsenEdn(text, path);
    case "jepsen-log":
      return parseJepsenLog(text, path);
  }
}

/** Reads the history at `path` (JSONL, Jepsen EDN or Jepsen log), detecting its format from
 *  its first megabyte. JSONL is streamed line by line: the text of a large history is never
 *  held whole beside its ops. */
export async function loadHistory(path: string): Promise<Op[]> {
  if (path === STDIN) return loadPiped(path, readStdin);
  let kind: fs.Stats;
  try {
    kind = await fs.promises.stat(path);
  } catch (e) {
    throw cannotRead(path, e);
  }
  if (kind.isFIFO()) return loadPiped(path, readPipe);
  if (kind.isCharacterDevice() || kind.isSocket() || kind.isBlockDevice())
    throw new UserError(
      `Cannot read history ${path}: it is a terminal or device, not a file or pipe; pass a history file, or pipe one in (\`faultline check - < history.jsonl\`).`,
    );
  let head: string;
  try {
    head = await readHead(path, 1 << 20);
  } catch (e) {
    throw cannotRead(path, e);
  }
  if (head.trim() === "")
    throw new UserError(`History ${path} is empty; pass a file with at least one operation.`);
  const format = detectFormat(head, path);
  if (format === "jsonl") return readHistory(path);
  let text: string;
  try {
    text = await fs.promises.readFile(path, "utf8");
  } catch (e) {
    throw cannotRead(path, e);
  }
  return parseHistory(text, format, path);
}

/** A history piped in (`check - < h.jsonl`, `check <(zcat h.edn.gz)`, a named FIFO): read whole
 *  through the event loop. A blocking open or read would sit in libuv's thread pool, where a
 *  Ctrl-C could not end the process (exit waits for that thread). */
async function loadPiped(path: string, read: (path: string) => Promise<string>): Promise<Op[]> {
  let text: string;
  try {
    text = await read(path);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw cannotRead(path, e);
  }
  if (text.trim() === "")
    throw new UserError(`History ${path} is empty; pass a file with at least one operation.`);
  return parseHistory(text, detectFormat(text, path), path);
}

/** Standard input is read from file descriptor 0 itself: when it is a socket (a Node parent's
 *  "pipe"), opening /dev/stdin fails on Linux. */
function readStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new UserError(
      "Nothing is piped into standard input; pipe a history in (`faultline check - < history.jsonl`) or pass its file.",
    );
  return readAll(process.stdin);
}

function readPipe(path: string): Promise<string> {
  // Opened non-blocking, so the open returns at once even before a writer has opened a named
  // FIFO; the socket then waits for data in the event loop.
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  return readAll(new net.Socket({ fd, readable: true, writable: false }));
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    stream.on("data", (d: Buffer) => chunks.push(d));
    stream.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    stream.once("error", reject);
  });
}

async function readHead(path: string, bytes: number): Promise<string> {
  const fh = await fs.promises.open(path, "r");
  try {
    if ((await fh.stat()).isDirectory()) throw Object.assign(new Error(), { code: "EISDIR" });
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead).toString("utf8");
  } finally {
    await fh.close();
  }
}

function cannotRead(path: string, e: unknown): UserError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === "ENOENT"
      ? "it does not exist"
      : code === "EISDIR"
        ? "it is a directory"
        : `${code ?? "unreadable"}`;
  return new UserError(
    `Cannot read history ${path}: ${why}; pass a history.jsonl, history.edn or Jepsen log file.`,
  );
}
