// The two-phase-commit target through the CLI, as a user runs it. Prints figures; asserts
// nothing. Needs Docker and the node image (make setup).
//
// 1. Transactions per second: the correct target without faults, and under its default
//    nemesis (kill,loss,pause,partition).
// 2. Time to catch each broken variant: a default run (30 s) per seed; "caught at" is the
//    earliest point of the history whose prefix the atomic-commit checker already finds
//    invalid (to 0.25 s), and which properties the whole run broke.
// 3. Blocking of default runs of the correct target: READY spans, and how much of them the
//    coordinator was down.
//
// Seeds: FAULTLINE_BENCH_SEEDS="201,202" (default 201-210, never used while tuning).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { checkAtomicCommit, type AtomicCommitResult } from "../checkers/atomic-commit/index.ts";
import { readHistory } from "../histories/jsonl.ts";
import type { Op } from "../histories/op.ts";

const run = promisify(execFile);
const ROOT = new URL("..", import.meta.url).pathname;
const TIME_LIMIT = 30;
const SEEDS = (process.env.FAULTLINE_BENCH_SEEDS ?? "201,202,203,204,205,206,207,208,209,210")
  .split(",")
  .map(Number);
const VARIANTS = ["abort-on-timeout", "no-decision-log", "vote-not-logged"];
const store = mkdtempSync(join(tmpdir(), "faultline-bench-2pc-"));

interface CliRun {
  exitCode: number;
  wallS: number;
  result: AtomicCommitResult;
  history: Op[];
}

/** `faultline run` on the two-phase-commit target; its exit code, wall time and stored run. */
async function cli(args: string[]): Promise<CliRun> {
  const started = Date.now();
  const argv = ["--import", "tsx", join(ROOT, "harness/cli.ts"), "run"];
  argv.push("--target", "two-phase-commit", "--time-limit", String(TIME_LIMIT));
  argv.push("--store", store, ...args);
  const exitCode = await run(process.execPath, argv, { cwd: ROOT, maxBuffer: 1 << 26 }).then(
    () => 0,
    (e: { code?: number }) => e.code ?? -1,
  );
  const wallS = (Date.now() - started) / 1000;
  const dir = join(store, "latest");
  const results = JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as {
    results: Record<string, AtomicCommitResult>;
  };
  const result = results.results["atomic-commit"]!;
  return { exitCode, wallS, result, history: await readHistory(join(dir, "history.jsonl")) };
}

const invalid = (ops: Op[]) => checkAtomicCommit(ops).valid === false;

/** The earliest time (s) at which the history's prefix is already invalid, to 0.25 s. */
function caughtAt(history: Op[]): number | undefined {
  if (!invalid(history)) return undefined;
  let lo = 0;
  let hi = history.at(-1)?.time ?? 0;
  while (hi - lo > 0.25e9) {
    const mid = (lo + hi) / 2;
    if (invalid(history.filter((o) => o.time <= mid))) hi = mid;
    else lo = mid;
  }
  return hi / 1e9;
}

/** The properties a result breaks, as its reason names them. */
function broken(r: AtomicCommitResult): string {
  return r.valid === false ? (r.reason ?? "").replace(/^violated: /, "") : String(r.valid);
}

const perSecond = (r: AtomicCommitResult) =>
  ((r.transactions.committed + r.transactions.aborted) / TIME_LIMIT).toFixed(1);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

try {
  console.log(`two-phase-commit, 4 nodes, ${TIME_LIMIT} s runs, seeds ${SEEDS.join(",")}`);
  const quiet = await cli(["--nemesis", "none", "--seed", String(SEEDS[0])]);
  console.log(
    `\nTransactions per second (decided), no faults: ${perSecond(quiet.result)} (exit ${quiet.exitCode}, load ${load()})`,
  );

  const blocking: string[] = [];
  const rates: string[] = [];
  let valid = 0;
  for (const seed of SEEDS) {
    const r = await cli(["--seed", String(seed)]);
    if (r.exitCode === 0) valid++;
    rates.push(perSecond(r.result));
    const b = r.result.blocking;
    blocking.push(
      `  seed ${seed}: ${b.count} READY spans, median ${b.medianMs} ms, p99 ${b.p99Ms} ms, max ${b.maxMs} ms; ` +
        `${Math.round(b.coordinatorDownMs)} ms of READY over ${b.withCoordinatorDown} spans with the coordinator down ` +
        `(down ${b.coordinatorDown.intervals}x, ${Math.round(b.coordinatorDown.totalMs)} ms)` +
        (r.exitCode === 0 ? "" : `  [exit ${r.exitCode}: ${broken(r.result)}]`),
    );
  }
  console.log(`Under the default nemesis: ${rates.join(", ")} per second (load ${load()})`);
  console.log(`\nCorrect target, default runs: valid on ${valid}/${SEEDS.length} seeds. Blocking:`);
  for (const line of blocking) console.log(line);

  console.log(`\nTime to catch each variant (default run, ${TIME_LIMIT} s):`);
  for (const variant of VARIANTS) {
    const caught: number[] = [];
    const cells: string[] = [];
    for (const seed of SEEDS) {
      const r = await cli(["--variant", variant, "--seed", String(seed)]);
      const at = r.exitCode === 1 ? caughtAt(r.history) : undefined;
      if (at !== undefined) caught.push(at);
      cells.push(
        at !== undefined
          ? `seed ${seed}: ${at.toFixed(1)} s (${broken(r.result)})`
          : `seed ${seed}: not caught (exit ${r.exitCode})`,
      );
    }
    const med = caught.length ? `${median(caught).toFixed(1)} s` : "never";
    console.log(
      `  ${variant}: caught ${caught.length}/${SEEDS.length}, median ${med} (load ${load()})`,
    );
    for (const c of cells) console.log(`    ${c}`);
  }
} finally {
  rmSync(store, { recursive: true, force: true });
}
