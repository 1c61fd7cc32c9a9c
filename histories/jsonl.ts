// history.jsonl: one Op per line. The writer appends and flushes as it goes so that a control
// process killed mid-run leaves a readable history; the reader reads in chunks and tolerates
// a truncated last line (the one the writer was in the middle of).
import fs from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { parseJsonKeepingBigIntegers, stringifyKeepingBigIntegers } from "../core/big-integers.ts";
import { UserError } from "../core/errors.ts";
import type { Op, OpType } from "./op.ts";
import { recordSource } from "./source.ts";

/** How long appended ops may sit in memory before they are made into lines and written (ms).
 *  Long enough that each flush makes hundreds of lines in one go: in the harness bench the
 *  control process then spent less CPU per op than when it made them every 5 ms or in
 *  small steps between replies (one long batch probably keeps its code and data warm; the
 *  node under test shares the cores, so every µs counts). Short enough that a control process
 *  killed mid-run loses only its last few milliseconds of ops. */
const FLUSH_INTERVAL_MS = 20;
/** Write at once when this many ops are waiting, whatever the timer says. */
const FLUSH_OPS = 4000;

/** Appends ops to a JSONL file, assigning their indexes. */
export class HistoryWriter {
  private nextIndex = 0;
  /** Ops appended and not yet written. */
  private pending: Op[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  /** Opens (creating or truncating) the file at `path`. */
  static open(path: string): HistoryWriter {
    return new HistoryWriter(path, fs.openSync(path, "w"));
  }

  /** Records one op; returns it with its index (the same object, given its index). It is
   *  written within FLUSH_INTERVAL_MS, as it is then: the caller must not change it after.
   *  Only the index is done here: a client's path from one reply to its next request stays
   *  short (the node under test waits while we are busy). */
  append(op: Omit<Op, "index">): Op {
    if (this.closed) throw new Error(`HistoryWriter for ${this.path} is closed`);
    const full = op as Op;
    full.index = this.nextIndex++;
    this.pending.push(full);
    if (this.pending.length >= FLUSH_OPS) this.flushSync();
    else this.timer ??= setTimeout(() => this.flushSync(), FLUSH_INTERVAL_MS);
    return full;
  }

  /** Writes everything appended so far. One write call per flush keeps lines whole on a kill. */
  flushSync(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    let text = "";
    for (const op of this.pending) text += opLine(op.index, op);
    this.pending = [];
    fs.writeSync(this.fd, text);
  }

  /** Flushes, syncs to disk and closes the file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flushSync();
    this.closed = true;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }
}

/** One history line: the op as JSON.stringify writes it (except that a bigint is a bare
 *  integer, so that it reads back exact), with "index" first (where readers of
 *  the file look for it). Made by hand rather than by JSON.stringify(op), which took longer on
 *  these small ops: two lines per op are a large part of the harness's own CPU per op, and
 *  that CPU is taken from the node under test. Field names and short strings repeat from op to op, so their JSON
 *  forms come from a cache; numbers are written as JavaScript writes them, as JSON does. */
export function opLine(index: number, op: object): string {
  let line = `{"index":${index}`;
  for (const key in op) {
    if (key === "index") continue;
    const v = (op as Record<string, unknown>)[key];
    let json: string | undefined;
    if (typeof v === "number") json = Number.isFinite(v) ? `${v}` : "null";
    else if (typeof v === "string") json = jsonString(v);
    else if (typeof v === "boolean") json = v ? "true" : "false";
    else if (v === null) json = "null";
    else if (typeof v === "bigint")
      json = `${v}`; // an integer, read back as the same bigint
    else json = stringifyKeepingBigIntegers(v) as string | undefined; // undefined for a function
    if (json === undefined) continue; // as JSON.stringify leaves out such a field
    line += (KEY_PREFIXES[key] ?? `,${jsonString(key)}:`) + json;
  }
  return line + "}\n";
}

/** The start of each field every op has, ready made (no prototype: a field named like an
 *  Object method is not found here by mistake). */
const KEY_PREFIXES: Record<string, string | undefined> = Object.assign(Object.create(null), {
  time: ',"time":',
  process: ',"process":',
  type: ',"type":',
  f: ',"f":',
  value: ',"value":',
  node: ',"node":',
  key: ',"key":',
});

/** JSON forms of strings seen lately. Cleared when full, so that a history of ever-new
 *  strings (unique values, error messages) costs a bounded amount of memory. */
const jsonStrings = new Map<string, string>();
const JSON_STRINGS_MAX = 4096;

function jsonString(s: string): string {
  let json = jsonStrings.get(s);
  if (json === undefined) {
    json = JSON.stringify(s);
    if (s.length <= 64) {
      if (jsonStrings.size >= JSON_STRINGS_MAX) jsonStrings.clear();
      jsonStrings.set(s, json);
    }
  }
  return json;
}

const TYPES = new Set<string>(["invoke", "ok", "fail", "info"]);
/** readHistory reads the file in pieces of this size. */
const READ_CHUNK_BYTES = 4 << 20;

/** Checks one parsed JSONL line is an Op; returns what is wrong, or undefined. */
function opProblem(v: unknown): string | undefined {
  if (v === null || typeof v !== "object" || Array.isArray(v))
    return "expected a JSON object (one op per line)";
  const o = v as Record<string, unknown>;
  if (typeof o.type !== "string" || !TYPES.has(o.type)) {
    return `expected "type" to be "invoke", "ok", "fail" or "info", found ${JSON.stringify(o.type) ?? "nothing"}`;
  }
  if (!(
    o.process === "nemesis" ||
    (typeof o.process === "number" && Number.isInteger(o.process))
  )) {
    return `expected "process" to be an integer or "nemesis", found ${JSON.stringify(o.process) ?? "nothing"}`;
  }
  if (typeof o.f !== "string")
    return `expected "f" to be a string, found ${JSON.stringify(o.f) ?? "nothing"}`;
  if (o.time !== undefined && typeof o.time !== "number")
    return `expected "time" to be a number of nanoseconds`;
  if (o.key !== undefined && typeof o.key !== "string") return `expected "key" to be a string`;
  return undefined;
}

/** Parses one JSONL line (1-based `lineNo`) into an Op; `position` fills a missing index. */
function parseLine(text: string, file: string, lineNo: number, position: number): Op {
  let v: unknown;
  try {
    v = parseJsonKeepingBigIntegers(text);
  } catch {
    throw new UserError(
      `${file}, line ${lineNo}: expected one JSON object per line, found malformed JSON; fix or remove that line.`,
    );
  }
  const problem = opProblem(v);
  if (problem) throw new UserError(`${file}, line ${lineNo}: ${problem}; fix or remove that line.`);
  const op = v as Op & { type: OpType };
  if (typeof op.index !== "number") op.index = position;
  if (typeof op.time !== "number") op.time = 0;
  return op;
}

/** Turns JSONL text, fed in pieces of any size, into ops with their lines. Blank lines are
 *  skipped; text after the last newline is a line the writer was in the middle of when it was
 *  killed, forgiven if it does not parse. */
class JsonlOps {
  readonly ops: Op[] = [];
  private readonly lines: number[] = [];
  private carry = "";
  private lineNo = 0;

  constructor(private readonly file: string) {}

  feed(text: string): void {
    const parts = (this.carry + text).split("\n");
    this.carry = parts.pop()!;
    for (const line of parts) {
      this.lineNo++;
      if (line.trim() !== "") this.add(line, this.lineNo);
    }
  }

  /** The ops, once all text has been fed. */
  end(): Op[] {
    if (this.carry.trim() !== "") {
      try {
        this.add(this.carry, this.lineNo + 1);
      } catch {
        // truncated by a crash: ignored
      }
    }
    recordSource(this.ops, this.file, this.lines);
    return this.ops;
  }

  private add(text: string, lineNo: number): void {
    this.ops.push(parseLine(text, this.file, lineNo, this.ops.length));
    this.lines.push(lineNo);
  }
}

/** Reads a whole JSONL history, in chunks of a few MB: the file's text is never held whole
 *  beside its ops (a 1M-op file: a few seconds). */
export async function readHistory(path: string): Promise<Op[]> {
  let fd: number;
  try {
    if (!(await fs.promises.stat(path)).isFile()) throw new Error("not a file");
    fd = fs.openSync(path, "r");
  } catch {
    throw new UserError(`Cannot read history file ${path}; check the path names a readable file.`);
  }
  const reader = new JsonlOps(path);
  try {
    const buf = Buffer.alloc(READ_CHUNK_BYTES);
    const decoder = new StringDecoder("utf8");
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf))
      reader.feed(decoder.write(buf.subarray(0, n)));
    reader.feed(decoder.end());
  } finally {
    fs.closeSync(fd);
  }
  return reader.end();
}

/** Parses JSONL text already in memory (used by loadHistory and the parser tests). */
export function parseJsonl(text: string, file: string): Op[] {
  const reader = new JsonlOps(file);
  reader.feed(text);
  return reader.end();
}
