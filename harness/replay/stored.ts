// A stored run read back to be run again (`faultline replay`, `faultline shrink`): its
// parameters as a RunSpec, its target (a --bin program only if it is the same program, by
// hash), its faults as recorded, and the verdicts it came to.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { UserError } from "../../core/errors.ts";
import type { CheckResult, Verdict } from "../../checkers/index.ts";
import { readHistory } from "../../histories/jsonl.ts";
import type { Op } from "../../histories/op.ts";
import { parseFaultKinds, type NemesisEvent } from "../../nemesis/schedule.ts";
import { recordedSchedule, type RecordedFault } from "../../nemesis/recorded.ts";
import { binTarget } from "../../targets/bin/index.ts";
import type { Target } from "../../targets/types.ts";
import { STORE_FILES } from "../store.ts";
import { RUN_DEFAULTS, type RunSpec } from "../run/spec.ts";

export interface StoredRun {
  dir: string;
  test: Record<string, unknown>;
  history: Op[];
  /** results.json's verdict and each checker's; absent when the run was never checked. */
  verdict?: Verdict;
  checkers: Record<string, Verdict>;
  /** Every planned fault, with what the history recorded of it. */
  faults: RecordedFault[];
  /** Where the run was caught, ms on its clock: where --stop-on-violation stopped it, or the
   *  completion of the op a checker could not fit; absent when not known. */
  caughtAtMs?: number;
}

/** Read a run folder; one sentence (UserError) when it is not a run folder of the store. */
export async function loadStoredRun(given: string): Promise<StoredRun> {
  const dir = followLinks(given);
  const testPath = join(dir, STORE_FILES.test);
  const historyPath = join(dir, STORE_FILES.history);
  if (!existsSync(testPath) || !existsSync(historyPath))
    throw new UserError(
      `${dir} is not a stored run (it needs test.json and history.jsonl); pass a run folder such as store/latest.`,
    );
  const test = readJson(testPath);
  if (
    typeof test.seed !== "number" ||
    typeof test.target !== "string" ||
    !Array.isArray(test.schedule)
  )
    throw new UserError(
      `${testPath} has no seed, target or schedule: it is not the record of a \`faultline run\`, so it cannot be run again.`,
    );
  const history = await readHistory(historyPath);
  const results = existsSync(join(dir, STORE_FILES.results))
    ? readJson(join(dir, STORE_FILES.results))
    : undefined;
  const checkers: Record<string, Verdict> = {};
  const byChecker = (results?.results ?? {}) as Record<string, CheckResult>;
  for (const [name, r] of Object.entries(byChecker)) checkers[name] = r.valid;
  const verdict =
    results && !results.incomplete && isVerdict(results.valid) ? results.valid : undefined;
  return {
    dir,
    test,
    history,
    ...(verdict !== undefined ? { verdict } : {}),
    checkers: verdict !== undefined ? checkers : {},
    faults: recordedSchedule(test.schedule as NemesisEvent[], history),
    ...optional("caughtAtMs", caughtAt(results, byChecker, history)),
  };
}

/** The stored run's parameters as a RunSpec, with `changes` on top. */
export function specOfStored(run: StoredRun, changes: Partial<RunSpec>): RunSpec {
  const t = run.test;
  const num = (k: string, fallback: number) =>
    typeof t[k] === "number" ? (t[k] as number) : fallback;
  const spec: RunSpec = {
    target: String(t.target),
    ...(typeof t.variant === "string" ? { variant: t.variant } : {}),
    nodes: num("nodes", RUN_DEFAULTS.nodes),
    workload: typeof t.workload === "string" ? t.workload : RUN_DEFAULTS.workload,
    nemesis: parseFaultKinds(Array.isArray(t.nemesis) ? t.nemesis.join(",") : "none"),
    nemesisIntervalSeconds: num("nemesisIntervalSeconds", RUN_DEFAULTS.nemesisIntervalSeconds),
    timeLimitSeconds: num("timeLimitSeconds", RUN_DEFAULTS.timeLimitSeconds),
    concurrency: num("concurrency", RUN_DEFAULTS.concurrency),
    seed: t.seed as number,
    rate: num("rate", RUN_DEFAULTS.rate),
    timeoutMs: num("timeoutMs", RUN_DEFAULTS.timeoutMs),
    settleSeconds: num("settleSeconds", RUN_DEFAULTS.settleSeconds),
    store: RUN_DEFAULTS.store,
    checkTimeLimitMs: num("checkTimeLimitMs", RUN_DEFAULTS.checkTimeLimitMs),
    checkMemoryLimitMb: num("checkMemoryLimitMb", RUN_DEFAULTS.checkMemoryLimitMb),
    liveCheck: t.liveCheck !== false,
    stopOnViolation: t.stopOnViolation === true,
    ...(t.program && typeof t.program === "object"
      ? { program: t.program as Record<string, unknown> }
      : {}),
    ...(typeof t.keys === "number" ? { keys: t.keys } : {}),
    ...changes,
  };
  // --stop-on-violation needs the live check.
  if (spec.stopOnViolation) spec.liveCheck = true;
  return spec;
}

/** The target the run ran: the same target by name, or the same --bin program, checked by
 *  hash (at `binPath` when given, else where the run found it). */
export async function targetOfStored(
  run: StoredRun,
  getTarget: (name: string) => Target,
  binPath?: string,
): Promise<Target> {
  const program = run.test.program as
    { path?: unknown; args?: unknown; imagePackages?: unknown; sha256?: unknown } | undefined;
  if (!program || typeof program.path !== "string") {
    if (binPath !== undefined)
      throw new UserError(
        `--bin is for replaying a run of your own program; ${run.dir} ran the target ${String(run.test.target)}.`,
      );
    return getTarget(String(run.test.target));
  }
  const path = binPath ?? program.path;
  const target = await binTarget({
    path,
    args: Array.isArray(program.args) ? program.args.map(String) : [],
    imagePackages: Array.isArray(program.imagePackages) ? program.imagePackages.map(String) : [],
  });
  const then = String(program.sha256 ?? "");
  if (target.program.sha256 !== then)
    throw new UserError(
      `The program at ${path} is not the one ${run.dir} ran (sha256 ${target.program.sha256.slice(0, 12)} now, ${then.slice(0, 12)} then); give --bin PATH of that program to replay it.`,
    );
  return target;
}

/** "raft/local-read, seed 5". */
export function nameOfStored(run: StoredRun): string {
  const variant = typeof run.test.variant === "string" ? `/${run.test.variant}` : "";
  return `${String(run.test.target)}${variant}, seed ${String(run.test.seed)}`;
}

function caughtAt(
  results: Record<string, unknown> | undefined,
  byChecker: Record<string, CheckResult>,
  history: readonly Op[],
): number | undefined {
  const stopped = results?.stoppedOnViolation as { atSeconds?: unknown } | undefined;
  if (typeof stopped?.atSeconds === "number") return stopped.atSeconds * 1000;
  // A checker that names the op it could not fit (linearizable: explanation.op.index): the
  // run was caught when that op completed.
  let at: number | undefined;
  for (const r of Object.values(byChecker)) {
    if (r.valid !== false) continue;
    const index = (r.explanation as { op?: { index?: unknown } } | undefined)?.op?.index;
    const op = typeof index === "number" ? history[index] : undefined;
    if (op && op.index === index) at = Math.min(at ?? Infinity, op.time / 1e6);
  }
  return at;
}

/** The run folder itself, not a `latest` link that will point elsewhere after the next run
 *  (kept relative when given relative). */
function followLinks(dir: string): string {
  if (!existsSync(dir)) return dir;
  const real = realpathSync(dir);
  return isAbsolute(dir) ? real : relative(process.cwd(), real) || ".";
}

function readJson(path: string): Record<string, unknown> {
  try {
    const v = JSON.parse(readFileSync(path, "utf8")) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new UserError(`${path} is not a JSON object; the run folder is damaged.`);
}

function isVerdict(v: unknown): v is Verdict {
  return v === true || v === false || v === "unknown";
}

function optional<K extends string, V>(key: K, v: V | undefined): { [k in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [k in K]?: V };
}
