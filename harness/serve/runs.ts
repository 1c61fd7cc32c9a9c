// The runs of a store as the browser lists them: every <store>/<target>/<time>/ folder (not
// the `latest` links, not compare/), described from its test.json and results.json.
import { existsSync, lstatSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { STORE_FILES } from "../store.ts";

export type RunVerdict = "valid" | "invalid" | "unknown" | "incomplete" | "none";

export interface StoredRun {
  /** The run folder, relative to the store, with "/" (raft/20261121T051234.567Z). */
  path: string;
  target: string;
  /** "correct" when test.json names none. */
  variant: string;
  workload: string;
  /** Fault kinds of the nemesis ([] for none). */
  faults: string[];
  /** From results.json: valid, invalid, unknown; incomplete for an interrupted run; none
   *  when there is no results.json (the control process died). */
  verdict: RunVerdict;
  /** When it started (ISO), from test.json, else from the folder's name. */
  date: string;
  seed?: number;
  nodes?: number;
  /** The checkers that were not valid, and why (the first line), for the list. */
  why: string;
  hasReport: boolean;
}

/** Folders of the store's root that hold no runs. */
const NOT_TARGETS = new Set(["compare"]);

/** Every run of the store, newest first. */
export function listRuns(storeRoot: string): StoredRun[] {
  const runs: StoredRun[] = [];
  for (const target of safeList(storeRoot)) {
    if (NOT_TARGETS.has(target) || !isRealDir(join(storeRoot, target))) continue;
    for (const name of safeList(join(storeRoot, target))) {
      const dir = join(storeRoot, target, name);
      // `latest` is a link to a run listed under its own name.
      if (!isRealDir(dir)) continue;
      if (!existsSync(join(dir, STORE_FILES.test)) && !existsSync(join(dir, STORE_FILES.history)))
        continue;
      runs.push(describeRun(dir, `${target}/${name}`, target, name));
    }
  }
  return runs.sort((a, b) => b.date.localeCompare(a.date) || b.path.localeCompare(a.path));
}

function describeRun(dir: string, path: string, targetDir: string, name: string): StoredRun {
  const test = readJson(join(dir, STORE_FILES.test));
  const results = readJson(join(dir, STORE_FILES.results));
  const str = (v: unknown, fallback: string) => (typeof v === "string" ? v : fallback);
  const program = test.program as { entry?: unknown } | undefined;
  let target = str(test.target, targetDir);
  if (target === "bin" && typeof program?.entry === "string") target = `bin:${program.entry}`;
  const run: StoredRun = {
    path,
    target,
    variant: str(test.variant, "correct"),
    workload: str(test.workload, "-"),
    faults: Array.isArray(test.nemesis) ? test.nemesis.map(String) : [],
    verdict: verdictOf(results),
    date: str(test.startedAt, dateOfName(name)),
    why: whyOf(results),
    hasReport: existsSync(join(dir, STORE_FILES.report)),
  };
  if (typeof test.seed === "number") run.seed = test.seed;
  if (typeof test.nodes === "number") run.nodes = test.nodes;
  return run;
}

function verdictOf(results: Record<string, unknown>): RunVerdict {
  if (!("valid" in results)) return "none";
  if (results.incomplete === true) return "incomplete";
  return results.valid === true ? "valid" : results.valid === false ? "invalid" : "unknown";
}

/** "linearizable: not linearizable: op 12 ..." for each checker not valid. */
function whyOf(results: Record<string, unknown>): string {
  const by = results.results;
  if (!by || typeof by !== "object") return "";
  return Object.entries(by as Record<string, { valid?: unknown; reason?: unknown }>)
    .filter(([, r]) => r && r.valid !== true)
    .map(([name, r]) => `${name}: ${String(r.reason ?? r.valid).split("\n")[0]}`)
    .join("; ");
}

/** 20261121T051234.567Z(-1) -> 2026-11-21T05:12:34.567Z; the name itself otherwise. */
function dateOfName(name: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\.\d+)?Z/.exec(name);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ""}Z` : name;
}

function readJson(path: string): Record<string, unknown> {
  try {
    const v = JSON.parse(readFileSync(path, "utf8")) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function isRealDir(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}
