// PBFT beside Raft: the same workload (lin-kv), nodes (4: PBFT's 3k+1 with k = 1), seed and
// fault schedule through `faultline compare` (ops/s, p50/p99 latency, messages per op,
// availability under each fault), first without faults (the cost of tolerating a traitor:
// three rounds of signed messages against Raft's one), then under partition,kill; then how
// fast a default run catches each PBFT variant over unseen seeds (bench/catch-rate.bench.ts).
// Prints figures; asserts nothing. Needs Docker and the node image (make setup).
//
//   FAULTLINE_BENCH_SEED=951           the compare seed
//   FAULTLINE_BENCH_SEEDS="961-970"    seeds of the catch-rate part ("" skips it)
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { getTarget } from "../targets/index.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const SEED = process.env.FAULTLINE_BENCH_SEED ?? "951";
const store = mkdtempSync(join(tmpdir(), "faultline-bench-pbft-"));

for (const nemesis of ["none", "partition,kill"]) {
  console.log(
    `compare: raft, pbft; 4 nodes, nemesis ${nemesis}, 30 s, seed ${SEED} (load ${loadavg()[0]!.toFixed(1)})`,
  );
  const args = ["compare", "--store", store, "--nodes", "4", "--nemesis", nemesis];
  args.push("--time-limit", "30", "--seed", SEED, "--target", "raft", "--target", "pbft");
  try {
    process.stdout.write(
      execFileSync(join(ROOT, "bin/faultline"), args, { cwd: ROOT, encoding: "utf8" }),
    );
  } catch (err) {
    console.log(`compare failed: ${(err as { stdout?: string }).stdout ?? String(err)}`);
  }
  console.log(`(load at the end ${loadavg()[0]!.toFixed(1)})`);
}

const seeds = process.env.FAULTLINE_BENCH_SEEDS ?? "961-970";
if (seeds !== "") {
  const cases = [
    "pbft:correct",
    ...Object.keys(getTarget("pbft").variants).map((v) => `pbft:${v}`),
  ];
  spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "bench/catch-rate.bench.ts")], {
    stdio: "inherit",
    env: { ...process.env, FAULTLINE_BENCH_CASES: cases.join(","), FAULTLINE_BENCH_SEEDS: seeds },
  });
}
