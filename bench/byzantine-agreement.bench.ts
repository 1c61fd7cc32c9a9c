// The byzantine-agreement target through the CLI, as a user runs it. Prints figures; asserts
// nothing. Needs Docker and the node image (make setup).
//
// 1. The correct target under its default nemesis (byzantine: floor((n-1)/3) traitors), 4 and
//    7 nodes: valid on how many seeds; instances judged per second, how many with a faulty
//    primary.
// 2. n = 3 with one traitor (--byzantine 1): how often, and how soon, BA1/BA2 break.
// 3. Time to catch each broken variant: one-round on 4 nodes, no-default on 7 (with 4 nodes a
//    backup's three values never tie: docs/byzantine-agreement.md). "Caught at" is the
//    earliest point of the history whose prefix the agreement checker finds invalid (to
//    0.25 s).
// Runs of 30 s with the default nemesis interval (5 s). Seeds: FAULTLINE_BENCH_SEEDS="301,302"
// (default 301-310, never used while tuning). FAULTLINE_BENCH_ARGS adds flags to every run
// ("--nemesis-interval 2"); FAULTLINE_BENCH_PARTS picks parts (correct,n3,variants or one-round,no-default).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { checkAgreement, type AgreementResult } from "../checkers/agreement/index.ts";
import { readHistory } from "../histories/jsonl.ts";
import type { Op } from "../histories/op.ts";

const run = promisify(execFile);
const ROOT = new URL("..", import.meta.url).pathname;
const TIME_LIMIT = Number(process.env.FAULTLINE_BENCH_TIME_LIMIT ?? 30);
const SEEDS = (process.env.FAULTLINE_BENCH_SEEDS ?? "301,302,303,304,305,306,307,308,309,310")
  .split(",")
  .map(Number);
const EXTRA = (process.env.FAULTLINE_BENCH_ARGS ?? "").split(" ").filter(Boolean);
const PARTS = (process.env.FAULTLINE_BENCH_PARTS ?? "correct,n3,variants").split(",");
const store = mkdtempSync(join(tmpdir(), "faultline-bench-byz-"));

interface CliRun {
  exitCode: number;
  result: AgreementResult;
  history: Op[];
  decideWithinMs: number;
}

async function cli(args: string[]): Promise<CliRun> {
  const argv = [join(ROOT, "bin/faultline"), "run", "--target", "byzantine-agreement"];
  argv.push("--time-limit", String(TIME_LIMIT), "--store", store, ...EXTRA, ...args);
  const exitCode = await run(argv[0]!, argv.slice(1), { cwd: ROOT, maxBuffer: 1 << 26 }).then(
    () => 0,
    (e: { code?: number }) => e.code ?? -1,
  );
  const dir = join(store, "byzantine-agreement", "latest");
  const stored = JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as {
    results: Record<string, AgreementResult>;
  };
  const result = stored.results.agreement!;
  const history = await readHistory(join(dir, "history.jsonl"));
  return { exitCode, result, history, decideWithinMs: result.decideWithinMs };
}

/** The earliest time (s) at which the history's prefix is already invalid, to 0.25 s. */
function caughtAt(r: CliRun): number | undefined {
  const invalid = (ops: Op[]) =>
    checkAgreement(ops, { decideWithinMs: r.decideWithinMs }).valid === false;
  if (!invalid(r.history)) return undefined;
  let lo = 0;
  let hi = r.history.at(-1)?.time ?? 0;
  while (hi - lo > 0.25e9) {
    const mid = (lo + hi) / 2;
    if (invalid(r.history.filter((o) => o.time <= mid))) hi = mid;
    else lo = mid;
  }
  return hi / 1e9;
}

const broken = (r: AgreementResult) =>
  r.valid === false ? (r.reason ?? "").replace(/^violated: /, "") : String(r.valid);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

async function correct(nodes: number): Promise<void> {
  let valid = 0;
  const cells: string[] = [];
  for (const seed of SEEDS) {
    const r = await cli(["--nodes", String(nodes), "--seed", String(seed)]);
    if (r.exitCode === 0) valid++;
    const i = r.result.instances;
    cells.push(
      `seed ${seed}: ${(i.judged / TIME_LIMIT).toFixed(1)} instances/s judged, ${i.faultyPrimary} of ${i.judged} with a faulty primary, traitors ${JSON.stringify(r.result.faults.traitors)}` +
        (r.exitCode === 0 ? "" : `  [exit ${r.exitCode}: ${broken(r.result)}]`),
    );
  }
  console.log(
    `\nCorrect, ${nodes} nodes: valid on ${valid}/${SEEDS.length} seeds (load ${load()})`,
  );
  for (const c of cells) console.log(`  ${c}`);
}

async function caught(label: string, args: string[]): Promise<void> {
  const times: number[] = [];
  const cells: string[] = [];
  for (const seed of SEEDS) {
    const r = await cli([...args, "--seed", String(seed)]);
    const at = r.exitCode === 1 ? caughtAt(r) : undefined;
    if (at !== undefined) times.push(at);
    cells.push(
      at !== undefined
        ? `seed ${seed}: ${at.toFixed(1)} s (${broken(r.result)})`
        : `seed ${seed}: not caught (exit ${r.exitCode})`,
    );
  }
  const med = times.length ? `${median(times).toFixed(1)} s` : "never";
  console.log(`  ${label}: caught ${times.length}/${SEEDS.length}, median ${med} (load ${load()})`);
  for (const c of cells) console.log(`    ${c}`);
}

try {
  const extra = EXTRA.length ? ` ${EXTRA.join(" ")}` : "";
  console.log(`byzantine-agreement, ${TIME_LIMIT} s runs${extra}, seeds ${SEEDS.join(",")}`);
  if (PARTS.includes("correct")) {
    await correct(4);
    await correct(7);
  }
  console.log(`\nTime to catch (default runs${extra}, ${TIME_LIMIT} s):`);
  if (PARTS.includes("n3"))
    await caught("n = 3, --byzantine 1", ["--nodes", "3", "--byzantine", "1"]);
  if (PARTS.includes("variants") || PARTS.includes("one-round"))
    await caught("one-round, 4 nodes", ["--variant", "one-round"]);
  if (PARTS.includes("variants") || PARTS.includes("no-default"))
    await caught("no-default, 7 nodes", ["--variant", "no-default", "--nodes", "7"]);
} finally {
  rmSync(store, { recursive: true, force: true });
}
