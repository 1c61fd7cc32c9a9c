// Importers for the two forms Jepsen leaves a history in: an EDN file (`history.edn`: one
// vector or list of op maps, or one map per line) and its log lines
// (`INFO  jepsen.util - 3	:invoke	:read	nil`). An independent history's `[key value]`
// tuples become keyed ops (independent.ts).
import { UserError } from "../core/errors.ts";
import { EdnReader, EdnSyntaxError } from "./edn.ts";
import type { Op, OpType, Process } from "./op.ts";
import { recordSource } from "./source.ts";
import { splitIndependent } from "./independent.ts";

const TYPES = new Set<OpType>(["invoke", "ok", "fail", "info"]);

function bad(file: string, line: number, what: string): UserError {
  return new UserError(`${file}, line ${line}: ${what}; fix the history or pass the right file.`);
}

/** Turns one Jepsen op map into an Op. `position` is its place in the file. */
export function opFromJepsenMap(map: unknown, position: number, file: string, line: number): Op {
  if (map === null || typeof map !== "object" || Array.isArray(map)) {
    throw bad(file, line, "expected an operation map like {:process 0 :type :invoke :f :read}");
  }
  const m = map as Record<string, unknown>;
  const type = m.type;
  if (typeof type !== "string" || !TYPES.has(type as OpType)) {
    throw bad(file, line, `expected :type to be :invoke, :ok, :fail or :info, found ${show(type)}`);
  }
  const process = toProcess(m.process);
  if (process === undefined) {
    throw bad(
      file,
      line,
      `expected :process to be an integer or :nemesis, found ${show(m.process)}`,
    );
  }
  if (typeof m.f !== "string")
    throw bad(file, line, `expected :f to be a keyword, found ${show(m.f)}`);
  const { type: _t, process: _p, f, index, time, value, ...extra } = m;
  const op: Op = {
    ...extra,
    index: typeof index === "number" ? index : position,
    time: typeof time === "number" ? time : 0,
    process,
    type: type as OpType,
    f,
  };
  if (value !== undefined) op.value = value;
  return op;
}

function toProcess(p: unknown): Process | undefined {
  if (typeof p === "number" && Number.isInteger(p)) return p;
  if (p === "nemesis") return "nemesis";
  return undefined;
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 40 ? s.slice(0, 40) + "..." : s;
}

/** Parses a Jepsen EDN history: a single vector/list of maps, or maps one after another. */
export function parseJepsenEdn(text: string, file: string): Op[] {
  const reader = new EdnReader(text);
  const ops: Op[] = [];
  try {
    const elements = reader.nextCollection();
    if (elements !== undefined) {
      // The whole history in one vector or list.
      const rest = reader.next();
      if (rest !== undefined) {
        throw bad(file, rest.line, "expected nothing after the history's closing bracket");
      }
      elements.forEach((m, i) => ops.push(opFromJepsenMap(m.value, i, file, m.line)));
      recordSource(
        ops,
        file,
        elements.map((m) => m.line),
      );
    } else {
      // One map after another.
      const lines: number[] = [];
      for (let form = reader.next(); form !== undefined; form = reader.next()) {
        ops.push(opFromJepsenMap(form.value, ops.length, file, form.line));
        lines.push(form.line);
      }
      recordSource(ops, file, lines);
    }
    if (ops.length === 0) throw bad(file, 1, "expected operation maps, found none");
    splitIndependent(ops);
    return ops;
  } catch (e) {
    if (e instanceof EdnSyntaxError) {
      throw bad(file, e.line, `malformed EDN, expected ${e.expected}`);
    }
    throw e;
  }
}

// `... jepsen.util - <process> <type> <f> <value...>`, separated by tabs or spaces.
const LOG_LINE = /jepsen\.util - (\S+)[ \t]+:(invoke|ok|fail|info)[ \t]+:?(\S+)(?:[ \t]+(.*))?$/;

/** Parses Jepsen log lines; lines that are not operation lines are skipped. */
export function parseJepsenLog(text: string, file: string): Op[] {
  const ops: Op[] = [];
  const opLines: number[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, "");
    const m = LOG_LINE.exec(line);
    if (!m) continue;
    const [, procText, type, f, rest] = m;
    const process = procText === ":nemesis" ? "nemesis" : Number(procText);
    if (process !== "nemesis" && !Number.isInteger(process)) {
      throw bad(
        file,
        i + 1,
        `expected a process number or :nemesis after 'jepsen.util - ', found '${procText}'`,
      );
    }
    const op: Op = { index: ops.length, time: 0, process, type: type as OpType, f };
    if (rest !== undefined && rest.trim() !== "") {
      // The value is one EDN form; anything after it is the error text Jepsen appends.
      const reader = new EdnReader(rest);
      try {
        const v = reader.next();
        if (v !== undefined) op.value = v.value;
      } catch (e) {
        if (e instanceof EdnSyntaxError)
          throw bad(file, i + 1, `malformed value, expected ${e.expected}`);
        throw e;
      }
      const after = rest.slice(reader.offset).trim();
      if (after !== "") op.error = after;
    }
    ops.push(op);
    opLines.push(i + 1);
  }
  recordSource(ops, file, opLines);
  if (ops.length === 0) {
    throw bad(
      file,
      1,
      "expected Jepsen log lines like 'INFO  jepsen.util - 3 :invoke :read nil', found none",
    );
  }
  splitIndependent(ops);
  return ops;
}
