// Each Maelstrom workload with its correct test node (test/nodes/), run the way a user runs
// it: `faultline run --bin ... --nemesis none` through the CLI, on 3 and 5 nodes, unpaced
// (--rate 0, 10 clients). Prints ok ops/s and p50/p99 latency of the main phase from the
// stored history, and the machine's load. Asserts nothing.
import { mkdtempSync, readFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { readHistory } from "../histories/jsonl.ts";
import { PROGRAMS } from "../test/harness/bin-runs.ts";

const root = new URL("../", import.meta.url).pathname;
const store = mkdtempSync(join(tmpdir(), "faultline-bench-workloads-"));
const SECONDS = 10;

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;
}

async function measure(program: string, workload: string, nodes: number): Promise<string> {
  const r = await execa(
    join(root, "bin/faultline"),
    [
      "run",
      "--bin",
      join(root, "test/nodes", program),
      "--workload",
      workload,
      "--nodes",
      String(nodes),
      "--nemesis",
      "none",
      "--rate",
      "0",
      "--concurrency",
      "10",
      "--time-limit",
      String(SECONDS),
      "--settle",
      "1",
      "--seed",
      "1",
      "--store",
      store,
    ],
    { cwd: root, reject: false, all: true },
  );
  const dir = /Stored in (\S+)/.exec(r.all ?? "")?.[1];
  if (!dir) return `no run stored (exit ${r.exitCode})`;
  const verdict = JSON.parse(readFileSync(join(dir, "results.json"), "utf8")).valid;
  // Main phase only: from the first op that is not a setup op to the last invocation before
  // the time limit (the final reads come after the settle pause).
  const history = await readHistory(join(dir, "history.jsonl"));
  const invokes = new Map<unknown, number>();
  const latencies: number[] = [];
  let ok = 0;
  const limitNs = SECONDS * 1e9;
  for (const op of history) {
    if (op.process === "nemesis" || op.f === "topology") continue;
    if (op.type === "invoke") {
      invokes.set(op.process, op.time);
      continue;
    }
    const at = invokes.get(op.process);
    if (at === undefined || at > limitNs) continue;
    if (op.type === "ok") {
      ok++;
      latencies.push((op.time - at) / 1e6);
    }
  }
  latencies.sort((a, b) => a - b);
  return `${(ok / SECONDS).toFixed(0).padStart(6)} ok ops/s, p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms (verdict ${verdict})`;
}

console.log(
  `Workloads with their correct test nodes, --nemesis none, unpaced, 10 clients, ${SECONDS} s, through the CLI (load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}):`,
);
for (const { workload, correct } of PROGRAMS) {
  for (const nodes of [3, 5]) {
    const line = await measure(correct, workload, nodes);
    console.log(`  ${workload.padEnd(11)} ${correct.padEnd(22)} ${nodes} nodes: ${line}`);
  }
}
console.log(
  `(load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")})`,
);
