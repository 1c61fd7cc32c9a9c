// The replication family side by side: raft, paxos, primary-backup, chain and etcd on the
// same seed, nodes and fault schedule through `faultline compare` (ops/s, p50/p99 latency,
// messages per op, availability under each fault, time to recover), then how fast a default
// run catches each broken variant over unseen seeds (bench/catch-rate.bench.ts). Prints
// figures; asserts nothing. Needs Docker and the node image (make setup).
//
//   FAULTLINE_BENCH_SEED=851           the compare seed
//   FAULTLINE_BENCH_SEEDS="861-870"    seeds of the catch-rate part
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { getTarget, targets } from "../targets/index.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const FAMILY = ["raft", "paxos", "primary-backup", "chain", "etcd"].filter((t) => t in targets);
const SEED = process.env.FAULTLINE_BENCH_SEED ?? "851";
const store = mkdtempSync(join(tmpdir(), "faultline-bench-replication-"));

console.log(
  `compare: ${FAMILY.join(", ")}; 3 nodes, partition,kill, 60 s, seed ${SEED} (load ${loadavg()[0]!.toFixed(1)})`,
);
const compareArgs = ["compare", "--store", store, "--nodes", "3", "--nemesis", "partition,kill"];
compareArgs.push("--time-limit", "60", "--seed", SEED, ...FAMILY.flatMap((t) => ["--target", t]));
try {
  process.stdout.write(
    execFileSync(join(ROOT, "bin/faultline"), compareArgs, { cwd: ROOT, encoding: "utf8" }),
  );
} catch (err) {
  console.log(`compare failed: ${(err as { stdout?: string }).stdout ?? String(err)}`);
}
console.log(`(load at the end ${loadavg()[0]!.toFixed(1)})`);

// Time to catch each variant: every variant of the family, default runs, unseen seeds.
const cases = FAMILY.flatMap((t) => Object.keys(getTarget(t).variants).map((v) => `${t}:${v}`));
spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "bench/catch-rate.bench.ts")], {
  stdio: "inherit",
  env: {
    ...process.env,
    FAULTLINE_BENCH_CASES: cases.join(","),
    FAULTLINE_BENCH_SEEDS: process.env.FAULTLINE_BENCH_SEEDS ?? "861-870",
  },
});
