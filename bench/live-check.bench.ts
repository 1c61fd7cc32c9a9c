// Verdicts during the run, through the CLI as a user runs it. For each broken variant, runs of
// 60 s with --stop-on-violation: when the live check stopped the run (run clock), the wall time
// of the whole command, and how often it stopped at all. For the correct targets, a default
// run with the live check on: how many checks, the prefix size, the slowest check. Prints
// figures; asserts nothing. Needs Docker and the node image (make setup).
//
// Seeds: FAULTLINE_BENCH_SEEDS="701,702" (default 701-705, never used while tuning).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = new URL("..", import.meta.url).pathname;
const SEEDS = (process.env.FAULTLINE_BENCH_SEEDS ?? "701,702,703,704,705").split(",").map(Number);
const store = mkdtempSync(join(tmpdir(), "faultline-bench-live-"));

const VARIANTS: { target: string; variant: string }[] = [
  { target: "raft", variant: "local-read" },
  { target: "raft", variant: "no-persist" },
  { target: "raft", variant: "vote-stale-log" },
  { target: "two-phase-commit", variant: "abort-on-timeout" },
  { target: "two-phase-commit", variant: "no-decision-log" },
  { target: "two-phase-commit", variant: "vote-not-logged" },
];

interface Stored {
  stoppedOnViolation?: { atSeconds: number; ops: number; violated: string[] };
  liveCheck?: { checks: number; lastOps: number; slowestMs: number };
}

async function cli(args: string[]): Promise<{ exitCode: number; wallS: number; stored: Stored }> {
  const started = Date.now();
  const exitCode = await run(join(ROOT, "bin/faultline"), ["run", "--store", store, ...args], {
    cwd: ROOT,
    maxBuffer: 1 << 26,
  }).then(
    () => 0,
    (e: { code?: number }) => e.code ?? -1,
  );
  const wallS = (Date.now() - started) / 1000;
  const target = args[args.indexOf("--target") + 1]!;
  const stored = JSON.parse(readFileSync(join(store, target, "latest", "results.json"), "utf8"));
  return { exitCode, wallS, stored };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`--stop-on-violation, 60 s runs, seeds ${SEEDS.join(",")}`);
for (const v of VARIANTS) {
  const stops: number[] = [];
  const walls: number[] = [];
  const lines: string[] = [];
  for (const seed of SEEDS) {
    const r = await cli([
      "--target",
      v.target,
      "--variant",
      v.variant,
      "--time-limit",
      "60",
      "--seed",
      String(seed),
      "--stop-on-violation",
    ]);
    const s = r.stored.stoppedOnViolation;
    if (s) stops.push(s.atSeconds);
    walls.push(r.wallS);
    lines.push(
      `    seed ${seed}: exit ${r.exitCode}, ${s ? `stopped at ${s.atSeconds.toFixed(1)} s (${s.violated.join(", ")}, ${s.ops} ops)` : "not stopped"}, ${r.wallS.toFixed(1)} s wall`,
    );
  }
  console.log(
    `  ${v.target}/${v.variant}: stopped ${stops.length}/${SEEDS.length}, median stop ${stops.length ? median(stops)!.toFixed(1) : "-"} s, median wall ${median(walls)!.toFixed(1)} s (load ${load()})`,
  );
  for (const l of lines) console.log(l);
}

console.log("Correct targets, default runs with the live check:");
for (const [target, seconds] of [
  ["raft", "60"],
  ["two-phase-commit", "30"],
] as const) {
  const r = await cli(["--target", target, "--time-limit", seconds, "--seed", String(SEEDS[0])]);
  const c = r.stored.liveCheck;
  console.log(
    `  ${target} (${seconds} s): exit ${r.exitCode}, ${c ? `${c.checks} checks, last of ${c.lastOps} ops, slowest ${c.slowestMs} ms` : "no live check"}, ${r.wallS.toFixed(1)} s wall (load ${load()})`,
  );
}
