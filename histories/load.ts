// loadHistory: read a history in any format Faultline understands, detecting which.
//   - our JSONL (history.jsonl): lines starting with `{"`
//   - Jepsen EDN (history.edn): a vector/list of maps, or maps one per line
//   - Jepsen log lines (jepsen.log): lines containing `jepsen.util - <process> :<type>`
import fs from "node:fs";
import { UserError } from "../core/errors.ts";
import { parseJsonl, readHistory } from "./jsonl.ts";
import { parseJepsenEdn, parseJepsenLog } from "./jepsen.ts";
import type { Op } from "./op.ts";

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
