// The etcd target through the CLI, as a user runs it. Prints figures; asserts nothing.
// Needs Docker and the node image (make setup), which carries Debian's etcd-server.
//
// Correct etcd and the serializable-reads variant under the target's default nemesis
// (partition,kill,pause), one run per seed: verdict, op counts, ops per second of the main
// phase, the run's wall time, and for a caught run the op that could not be linearized: on
// which member, when, and the last nemesis op before it (which fault exposed the stale read).
//
// Seeds: FAULTLINE_BENCH_SEEDS="101,102" (default 101-105, never used while tuning);
// FAULTLINE_BENCH_TIME_LIMIT (default 30 s).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = new URL("..", import.meta.url).pathname;
const TIME_LIMIT = Number(process.env.FAULTLINE_BENCH_TIME_LIMIT ?? 30);
const SEEDS = (process.env.FAULTLINE_BENCH_SEEDS ?? "101,102,103,104,105").split(",").map(Number);
const store = mkdtempSync(join(tmpdir(), "faultline-bench-etcd-"));

interface HistoryOp {
  index: number;
  time: number;
  process: number | string;
  type: string;
  f: string;
  node?: string;
  key?: string;
  value?: unknown;
}

interface Outcome {
  exitCode: number;
  wallS: number;
  counts: { ok: number; fail: number; info: number };
  caught?: string;
}

async function cli(args: string[]): Promise<Outcome> {
  const started = Date.now();
  const argv = ["run", "--target", "etcd", "--time-limit", String(TIME_LIMIT)];
  argv.push("--store", store, ...args);
  const exitCode = await run(join(ROOT, "bin/faultline"), argv, {
    cwd: ROOT,
    maxBuffer: 1 << 26,
  }).then(
    () => 0,
    (e: { code?: number }) => e.code ?? -1,
  );
  const wallS = (Date.now() - started) / 1000;
  const dir = join(store, "latest");
  const results = JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as {
    counts: Outcome["counts"];
    results: { linearizable?: { explanation?: { op?: { completeIndex?: number } } } };
  };
  const at = results.results.linearizable?.explanation?.op?.completeIndex;
  return {
    exitCode,
    wallS,
    counts: results.counts,
    caught: at === undefined ? undefined : whereCaught(dir, at),
  };
}

/** "read k1 = 17 on n3 at 7.2 s, after start-partition {n3 cut off}". */
function whereCaught(dir: string, completeIndex: number): string {
  const ops = readFileSync(join(dir, "history.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as HistoryOp & { detail?: { shape?: string; who?: string } });
  const op = ops.find((o) => o.index === completeIndex);
  if (!op) return `op ${completeIndex}`;
  const nemesis = ops.filter(
    (o) => o.process === "nemesis" && o.type === "info" && o.index < completeIndex,
  );
  const last = nemesis.at(-1);
  const fault = last
    ? `${last.f} ${JSON.stringify(last.value)}${last.detail?.shape ? ` (${last.detail.shape})` : last.detail?.who ? ` (${last.detail.who})` : ""}`
    : "no fault yet";
  return `${op.f} ${op.key} = ${JSON.stringify(op.value)} on ${op.node} at ${(op.time / 1e9).toFixed(1)} s, after ${fault}`;
}

const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

try {
  console.log(
    `etcd, 3 nodes, default nemesis (partition,kill,pause), ${TIME_LIMIT} s runs, seeds ${SEEDS.join(",")}`,
  );
  for (const variant of ["correct", "serializable-reads"]) {
    let invalid = 0;
    const lines: string[] = [];
    for (const seed of SEEDS) {
      const before = load();
      const r = await cli(["--variant", variant, "--seed", String(seed)]);
      if (r.exitCode === 1) invalid++;
      const { ok, fail, info } = r.counts;
      const rate = `${((ok + fail + info) / TIME_LIMIT).toFixed(0)} ops/s (${(ok / TIME_LIMIT).toFixed(0)} ok/s)`;
      lines.push(
        `    seed ${seed}: exit ${r.exitCode}, ${ok} ok ${fail} fail ${info} info, ${rate}, ${r.wallS.toFixed(0)} s wall, load ${before}`,
      );
      if (r.caught) lines.push(`      not linearizable: ${r.caught}`);
    }
    console.log(`\n${variant}: invalid on ${invalid}/${SEEDS.length}`);
    for (const l of lines) console.log(l);
  }
} finally {
  rmSync(store, { recursive: true, force: true });
}
