// A stored run folder as compare reads it: history.jsonl (required), results.json and
// test.json (used when present; a run whose control process was killed has no results.json).
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { UserError } from "../../core/errors.ts";
import { readHistory } from "../../histories/jsonl.ts";
import { STORE_FILES } from "../store.ts";
import { measureRun, type RunMetrics } from "./metrics.ts";
import { rowOf, type Comparison } from "./table.ts";

export interface MeasuredRun {
  /** The run folder, absolute (links resolved). */
  dir: string;
  /** test.json (empty when missing). */
  test: Record<string, unknown>;
  metrics: RunMetrics;
}

export async function measureRunDir(dir: string): Promise<MeasuredRun> {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UserError(
      `${dir} is not a folder; give run folders of the store (store/raft/<time>).`,
    );
  const historyPath = join(dir, STORE_FILES.history);
  if (!existsSync(historyPath))
    throw new UserError(`${dir} holds no ${STORE_FILES.history}; give run folders of the store.`);
  const test = readJson(join(dir, STORE_FILES.test)) ?? {};
  const results = readJson(join(dir, STORE_FILES.results));
  const history = await readHistory(historyPath);
  // The folder itself, not a `latest` link that a later run will move.
  return {
    dir: realpathSync(dir),
    test,
    metrics: measureRun({ history, ...(results ? { results } : {}) }),
  };
}

function readJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as unknown;
    return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    throw new UserError(`${path} is not valid JSON; fix or remove it.`);
  }
}

/** How a run is named in the table: target, `:variant` unless correct, `bin:<entry>` for --bin. */
export function labelOfTest(test: Record<string, unknown>, dir: string): string {
  const target = typeof test.target === "string" ? test.target : basename(dir);
  const program = test.program as { entry?: unknown } | undefined;
  const name =
    target === "bin" && typeof program?.entry === "string" ? `bin:${program.entry}` : target;
  const variant = typeof test.variant === "string" ? test.variant : undefined;
  return variant && variant !== "correct" ? `${name}:${variant}` : name;
}

/** What every stored run shares, for the page's parameters. */
export function sharedParameters(runs: readonly MeasuredRun[]): Record<string, unknown> {
  const keys = [
    "seed",
    "nodes",
    "workload",
    "nemesis",
    "nemesisIntervalSeconds",
    "timeLimitSeconds",
    "rate",
    "concurrency",
  ];
  const params: Record<string, unknown> = { runs: runs.map((r) => r.dir) };
  for (const k of keys) {
    if (runs.every((r) => r.test[k] === undefined)) continue;
    const values = runs.map((r) => JSON.stringify(r.test[k]));
    params[k] = values.every((v) => v === values[0]) ? runs[0]!.test[k] : "(differs)";
  }
  return params;
}

/** Notes on stored runs that did not meet the same ops and faults. */
export function differences(runs: readonly MeasuredRun[]): string[] {
  const notes: string[] = [];
  const differ = (k: string) => new Set(runs.map((r) => JSON.stringify(r.test[k]))).size > 1;
  if (differ("workload")) notes.push("The runs drove different workloads.");
  if (differ("schedule"))
    notes.push(
      "The runs' fault schedules differ (seed, faults, nodes, interval or time limit): availability and recovery are not measured under the same faults.",
    );
  else if (differ("seed")) notes.push("The runs had different seeds: their ops differ.");
  return notes;
}

/** The comparison of stored run folders, one row each (a folder named twice, by its own
 *  name and by a `latest` link, is one row), and the fault order of its columns. */
export async function storedComparison(
  dirs: readonly string[],
): Promise<{ comparison: Comparison; faultOrder: string[] }> {
  const runs: MeasuredRun[] = [];
  for (const dir of dirs) {
    const run = await measureRunDir(dir);
    if (!runs.some((r) => r.dir === run.dir)) runs.push(run);
  }
  if (runs.length < 2)
    throw new UserError("Give at least two run folders to compare (store/raft/<time> ...).");
  const labels = runs.map((r) => labelOfTest(r.test, r.dir));
  const rows = runs.map((run, i) => {
    const twice = labels.filter((l) => l === labels[i]).length > 1;
    return rowOf(twice ? `${labels[i]} (${basename(run.dir)})` : labels[i]!, [run]);
  });
  const comparison: Comparison = {
    createdAt: new Date().toISOString(),
    mode: "stored",
    parameters: sharedParameters(runs),
    rows,
    notes: differences(runs),
  };
  const nemesis = runs[0]!.test.nemesis;
  return { comparison, faultOrder: Array.isArray(nemesis) ? (nemesis as string[]) : [] };
}
