// How often a default run catches each broken variant, and how often a correct target is
// found valid, on seeds nobody tuned on, with the machine busy: two runs at once, each the
// CLI as a user runs it (`faultline run --target T [--variant V] --seed S`, the target's
// default nemesis and time limit), with --stop-on-violation so a caught run ends early (the
// verdict is the one a full run gives, only sooner). Prints figures; asserts nothing. Needs
// Docker and the node image (make setup).
//
//   FAULTLINE_BENCH_SEEDS="801-820"          seeds (a range or a comma list; default 801-820)
//   FAULTLINE_BENCH_CASES="raft:no-persist"  target:variant list (default: raft and its variants)
//   FAULTLINE_BENCH_PARALLEL=2               runs at once
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);
const ROOT = new URL("..", import.meta.url).pathname;
const store = mkdtempSync(join(tmpdir(), "faultline-bench-catch-"));

function parseSeeds(spec: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(spec);
  if (!range) return spec.split(",").map(Number);
  const [from, to] = [Number(range[1]), Number(range[2])];
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

const SEEDS = parseSeeds(process.env.FAULTLINE_BENCH_SEEDS ?? "801-820");
const CASES = (
  process.env.FAULTLINE_BENCH_CASES ??
  "raft:correct,raft:local-read,raft:no-persist,raft:vote-stale-log"
)
  .split(",")
  .map((c) => {
    const [target, variant = "correct"] = c.split(":");
    return { target: target!, variant };
  });
const PARALLEL = Number(process.env.FAULTLINE_BENCH_PARALLEL ?? 2);

interface Outcome {
  seed: number;
  exitCode: number;
  stoppedAt?: number;
  wallS: number;
  load: number;
}

async function runOnce(target: string, variant: string, seed: number): Promise<Outcome> {
  const args = ["run", "--store", store, "--target", target, "--seed", String(seed)];
  if (variant !== "correct") args.push("--variant", variant, "--stop-on-violation");
  const started = Date.now();
  const r = await exec(join(ROOT, "bin/faultline"), args, { cwd: ROOT, maxBuffer: 1 << 26 }).then(
    (ok) => ({ code: 0, out: ok.stdout }),
    (e: { code?: number; stdout?: string }) => ({ code: e.code ?? -1, out: e.stdout ?? "" }),
  );
  const dir = /Stored in (\S+)/.exec(r.out)?.[1];
  let stoppedAt: number | undefined;
  if (dir) {
    const res = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
    stoppedAt = res.stoppedOnViolation?.atSeconds;
  }
  return {
    seed,
    exitCode: r.code,
    stoppedAt,
    wallS: (Date.now() - started) / 1000,
    load: loadavg()[0]!,
  };
}

/** Run every job, at most PARALLEL at a time, in order of submission. */
async function pool<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]!();
      }
    }),
  );
  return results;
}

const EXPECTED = { valid: 0, invalid: 1 };
console.log(
  `catch rate: seeds ${SEEDS[0]}..${SEEDS.at(-1)} (${SEEDS.length}), ${PARALLEL} runs at once, load at start ${loadavg()[0]!.toFixed(2)}`,
);
for (const c of CASES) {
  const started = Date.now();
  const outcomes = await pool(SEEDS.map((s) => () => runOnce(c.target, c.variant, s)));
  const want = c.variant === "correct" ? EXPECTED.valid : EXPECTED.invalid;
  const hits = outcomes.filter((o) => o.exitCode === want);
  const misses = outcomes.filter((o) => o.exitCode !== want);
  const stops = outcomes.flatMap((o) => (o.stoppedAt === undefined ? [] : [o.stoppedAt]));
  stops.sort((a, b) => a - b);
  const loads = outcomes.map((o) => o.load);
  console.log(
    `  ${c.target}/${c.variant}: ${c.variant === "correct" ? "valid" : "caught"} ${hits.length}/${outcomes.length}` +
      (stops.length ? `, median stop ${stops[Math.floor(stops.length / 2)]!.toFixed(1)} s` : "") +
      `, load ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}, ${((Date.now() - started) / 60000).toFixed(1)} min` +
      (misses.length
        ? `; other outcomes: ${misses.map((m) => `seed ${m.seed} exit ${m.exitCode}`).join(", ")}`
        : ""),
  );
}
