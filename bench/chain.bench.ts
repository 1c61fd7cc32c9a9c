// The chain target through the CLI, as a user runs it. Prints figures; asserts nothing.
// Needs Docker and the node image (make setup).
//
// For the correct chain and each broken variant, a default run (the target's own nemesis,
// partition,kill, 30 s) per seed: its verdict, and for a caught variant "caught at", the
// earliest point of the history whose prefix the linearizability checker already finds
// invalid (to 0.25 s).
//
// Seeds: FAULTLINE_BENCH_SEEDS="306,307" (default 301-305, never used while tuning).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { checkLinearizable } from "../checkers/linearizable/index.ts";
import { readHistory } from "../histories/jsonl.ts";
import type { Op } from "../histories/op.ts";
import { VARIANTS } from "../targets/chain/variants.ts";

const run = promisify(execFile);
const ROOT = new URL("..", import.meta.url).pathname;
const TIME_LIMIT = 30;
const SEEDS = (process.env.FAULTLINE_BENCH_SEEDS ?? "301,302,303,304,305").split(",").map(Number);
const store = mkdtempSync(join(tmpdir(), "faultline-bench-chain-"));

interface CliRun {
  exitCode: number;
  counts: { ok: number; fail: number; info: number };
  history: Op[];
}

/** `faultline run` on the chain target; its exit code and stored run. */
async function cli(args: string[]): Promise<CliRun> {
  const argv = ["--import", "tsx", join(ROOT, "harness/cli.ts"), "run"];
  argv.push("--target", "chain", "--time-limit", String(TIME_LIMIT), "--store", store, ...args);
  const exitCode = await run(process.execPath, argv, { cwd: ROOT, maxBuffer: 1 << 26 }).then(
    () => 0,
    (e: { code?: number }) => e.code ?? -1,
  );
  const dir = join(store, "latest");
  const results = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
  return {
    exitCode,
    counts: results.counts,
    history: await readHistory(join(dir, "history.jsonl")),
  };
}

const invalid = async (ops: Op[]) =>
  (await checkLinearizable(ops, { model: "kv", timeLimitMs: 20_000 })).valid === false;

/** The earliest time (s) at which the history's prefix is already invalid, to 0.25 s. */
async function caughtAt(history: Op[]): Promise<number | undefined> {
  if (!(await invalid(history))) return undefined;
  let lo = 0;
  let hi = history.at(-1)?.time ?? 0;
  while (hi - lo > 0.25e9) {
    const mid = (lo + hi) / 2;
    if (await invalid(history.filter((o) => o.time <= mid))) hi = mid;
    else lo = mid;
  }
  return hi / 1e9;
}

const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

try {
  console.log(`chain, 3 nodes, default nemesis, ${TIME_LIMIT} s runs, seeds ${SEEDS.join(",")}`);
  let valid = 0;
  const cells: string[] = [];
  for (const seed of SEEDS) {
    const r = await cli(["--seed", String(seed)]);
    if (r.exitCode === 0) valid++;
    const { ok, fail, info } = r.counts;
    cells.push(`seed ${seed}: exit ${r.exitCode}, ${ok} ok, ${fail} fail, ${info} info`);
  }
  console.log(`\ncorrect: valid on ${valid}/${SEEDS.length} seeds (load ${load()})`);
  for (const c of cells) console.log(`  ${c}`);

  console.log(`\nTime to catch each variant (default run, ${TIME_LIMIT} s):`);
  for (const variant of Object.keys(VARIANTS)) {
    let caught = 0;
    const lines: string[] = [];
    for (const seed of SEEDS) {
      const r = await cli(["--variant", variant, "--seed", String(seed)]);
      const at = r.exitCode === 1 ? await caughtAt(r.history) : undefined;
      if (at !== undefined) caught++;
      lines.push(
        at !== undefined
          ? `seed ${seed}: caught at ${at.toFixed(1)} s`
          : `seed ${seed}: not caught (exit ${r.exitCode})`,
      );
    }
    console.log(`  ${variant}: caught ${caught}/${SEEDS.length} (load ${load()})`);
    for (const l of lines) console.log(`    ${l}`);
  }
} finally {
  rmSync(store, { recursive: true, force: true });
}
