// The harness's own overhead, and how fast default runs catch the broken Raft variants.
// Prints figures; asserts nothing. Needs Docker and the node image (make setup).
//
// 1. Overhead: against the trivial single-node python-register target, the same client calls
//    in a bare loop and through the harness (generator, paced workers with rate 0, history
//    writer, progress counter), alternated so that drift on the machine hits both.
//    Before it, the harness's own CPU per op against an instant in-memory client: the same
//    comparison without the node and the network, so without their noise.
// 2. Time to catch: each broken variant of Raft under a default run (partition,kill, default
//    interval and rates, 30 s), a few seeds; "caught at" is the earliest point of the history
//    whose prefix the checker already finds invalid.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createCluster } from "../harness/runtime/index.ts";
import { getTarget } from "../targets/index.ts";
import { containerName } from "../harness/runtime/names.ts";
import { HistoryWriter, readHistory } from "../histories/jsonl.ts";
import { getWorkload } from "../harness/workloads/index.ts";
import { WorkerPool } from "../harness/workers.ts";
import { RunClock } from "../core/clock.ts";
import { planRun, type RunPlan } from "../harness/generator/plan.ts";
import { Progress } from "../harness/report/progress.ts";
import { analyze } from "../harness/run/analyze.ts";
import { runTest } from "../harness/run/orchestrate.ts";
import { RUN_DEFAULTS } from "../harness/run/spec.ts";
import type { Op } from "../histories/op.ts";
import type { Client, Completion } from "../targets/types.ts";
import type { NodeInfo } from "../core/runtime.ts";
import { timeLimit, type OpSpec } from "../harness/generator/gen.ts";

const SLICE_MS = 1500;
// Many short pairs: on a busy machine single pairs swing by ±20%; the median of 16 settles.
const SLICES = 16;
const CONCURRENCY = 10;
const OWN_COST_SLICE_MS = 1000;
const CATCH_SEEDS = [1, 2, 3];
const CATCH_TIME_LIMIT = 30;
const tmp = mkdtempSync(join(tmpdir(), "faultline-bench-"));
const devNull = new Writable({ write: (_c, _e, cb) => cb() });

/** The plan of a lin-kv run on one node, without faults and without end. */
function linKvPlan(node: string): RunPlan {
  return planRun({
    seed: 1,
    workload: getWorkload("lin-kv", { nodes: [node] }),
    faults: [],
    nodes: [node],
    nemesisIntervalSeconds: 1,
    timeLimitSeconds: 1e6,
  });
}

/** The ops a bare loop calls in turn: the plan's main phase, generated up front. */
function opsUpFront(p: RunPlan): OpSpec[] {
  return Array.from({ length: 100_000 }, () => p.main.next({ rng: p.rng, elapsedMs: 0 })!);
}

/** The control process's CPU per op, bare loop vs harness, against a client that answers at
 *  once (in the next event-loop turn, as a reply read from a socket would be): what the
 *  harness itself costs, measured without the node's and the network's noise. */
async function ownCost(): Promise<void> {
  let replies: ((c: Completion) => void)[] = [];
  const answerAll = () => {
    const waiting = replies;
    replies = [];
    for (const reply of waiting) reply({ type: "ok", value: 1 });
  };
  const client: Client = {
    invoke: () =>
      new Promise((reply) => {
        if (replies.push(reply) === 1) setImmediate(answerAll);
      }),
    close: async () => undefined,
  };
  const node = { name: "n1" } as NodeInfo;
  const p = linKvPlan(node.name);
  const ops = opsUpFront(linKvPlan(node.name));
  const cpuPerOp = async (run: () => Promise<number>) => {
    const cpu0 = process.cpuUsage();
    const done = await run();
    const cpu = process.cpuUsage(cpu0);
    return (cpu.user + cpu.system) / done;
  };
  const bare = () =>
    cpuPerOp(async () => {
      let done = 0;
      const end = performance.now() + OWN_COST_SLICE_MS;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (performance.now() < end) await client.invoke(ops[done++ % ops.length]!, 1000);
        }),
      );
      return done;
    });
  const history = HistoryWriter.open(join(tmp, "own-cost.jsonl"));
  let completed = 0;
  const pool = new WorkerPool({
    concurrency: CONCURRENCY,
    nodes: [node],
    openClient: async () => client,
    recorder: history,
    clock: new RunClock(),
    rng: p.rng,
    timeoutMs: RUN_DEFAULTS.timeoutMs,
    onComplete: () => completed++,
  });
  const harness = () =>
    cpuPerOp(async () => {
      const before = completed;
      await pool.run(timeLimit(OWN_COST_SLICE_MS, p.main), new AbortController().signal);
      return completed - before;
    });
  const bareCpu: number[] = [];
  const harnessCpu: number[] = [];
  for (let r = 0; r < SLICES; r++) {
    bareCpu.push(await bare());
    harnessCpu.push(await harness());
  }
  await pool.close();
  await history.close();
  const b = median(bareCpu);
  const h = median(harnessCpu);
  console.log(
    `Harness's own CPU per op, ${CONCURRENCY} clients against an instant in-memory client (${SLICES} pairs of ${OWN_COST_SLICE_MS / 1000} s slices):`,
  );
  console.log(
    `  bare loop ${b.toFixed(2)} µs, harness ${h.toFixed(2)} µs: the harness adds ${(h - b).toFixed(2)} µs per op (medians)`,
  );
}

async function overhead(): Promise<void> {
  const target = getTarget("python-register");
  const cluster = await createCluster({ nodes: 1, ...(await target.clusterSpec({ nodes: 1 })) });
  try {
    await target.awaitReady(cluster, 30_000);
    const node = cluster.nodes[0]!;
    const workload = getWorkload("lin-kv", { nodes: [node.name] });
    const plan = () => linKvPlan(node.name);

    // The bare loop: the same op mix, generated up front, each client calling in turn.
    const bareOps = opsUpFront(plan());
    const clients = await Promise.all(
      Array.from({ length: CONCURRENCY }, () => target.client(cluster, node, workload.messages)),
    );
    let next = 0;
    const nodeCpuNs = nodeCpuReader(containerName(cluster.id, node.name, "node"));
    // The control process's CPU per op on each side (µs): the node under test shares the 2
    // cores with it, so every µs the harness spends is taken from the node.
    const bareCpu: number[] = [];
    const harnessCpu: number[] = [];
    const bareNodeCpu: number[] = [];
    const harnessNodeCpu: number[] = [];
    const cpuMicros = (u: NodeJS.CpuUsage) => u.user + u.system;
    const bareSlice = async (): Promise<number> => {
      let done = 0;
      const node0 = nodeCpuNs();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const end = t0 + SLICE_MS;
      await Promise.all(
        clients.map(async (c) => {
          while (performance.now() < end) {
            await c.invoke(bareOps[next++ % bareOps.length]!, RUN_DEFAULTS.timeoutMs);
            done++;
          }
        }),
      );
      bareCpu.push(cpuMicros(process.cpuUsage(cpu0)) / done);
      bareNodeCpu.push((nodeCpuNs() - node0) / 1000 / done);
      return done / ((performance.now() - t0) / 1000);
    };

    // Through the harness: generator + workers + history writer + progress counts, one
    // history across all slices, as in a run.
    const p = plan();
    const history = HistoryWriter.open(join(tmp, "overhead.jsonl"));
    const clock = new RunClock();
    const progress = new Progress(
      { elapsedMs: () => clock.elapsedMs(), totalMs: 1e9, faults: () => [], phase: () => "main" },
      { stream: devNull, live: false, plainEveryMs: 1000 },
    );
    let completed = 0;
    const pool = new WorkerPool({
      concurrency: CONCURRENCY,
      nodes: [node],
      openClient: (n) => target.client(cluster, n, workload.messages),
      recorder: history,
      clock,
      rng: p.rng,
      timeoutMs: RUN_DEFAULTS.timeoutMs,
      onComplete: (op) => {
        completed++;
        progress.record(op);
      },
    });
    progress.start();
    const harnessSlice = async (): Promise<number> => {
      const before = completed;
      const node0 = nodeCpuNs();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await pool.run(timeLimit(SLICE_MS, p.main), new AbortController().signal);
      harnessCpu.push(cpuMicros(process.cpuUsage(cpu0)) / (completed - before));
      harnessNodeCpu.push((nodeCpuNs() - node0) / 1000 / (completed - before));
      return (completed - before) / ((performance.now() - t0) / 1000);
    };

    await harnessSlice(); // warm up: open the workers' clients, settle the node
    await bareSlice();
    // Short slices, alternated: load from elsewhere on the machine changes over seconds and
    // then hits both sides of a pair alike; the median pair ratio is the overhead.
    const bareRates: number[] = [];
    const harnessRates: number[] = [];
    for (let r = 0; r < SLICES; r++) {
      if (r % 2 === 0) {
        bareRates.push(await bareSlice());
        harnessRates.push(await harnessSlice());
      } else {
        harnessRates.push(await harnessSlice());
        bareRates.push(await bareSlice());
      }
    }
    progress.stop();
    await pool.close();
    await history.close();
    await Promise.all(clients.map((c) => c.close()));
    const recorded = (await readHistory(history.path)).length;
    const ratios = harnessRates.map((h, i) => h / bareRates[i]!);
    const ratio = median(ratios);
    const pct = (r: number) => `${((r - 1) * 100).toFixed(1)}%`;
    console.log(
      `Overhead against python-register (1 node), ${CONCURRENCY} clients, ${SLICES} alternated pairs of ${SLICE_MS / 1000} s slices:`,
    );
    console.log(
      `  bare loop of client calls: median ${median(bareRates).toFixed(0)} ops/s  (range ${range(bareRates)})`,
    );
    console.log(
      `  through the harness:       median ${median(harnessRates).toFixed(0)} ops/s recorded  (range ${range(harnessRates)}; ${recorded} history lines)`,
    );
    console.log(
      `  harness vs bare, median of pair ratios: ${pct(ratio)}  (quartiles ${pct(quantile(ratios, 0.25))} .. ${pct(quantile(ratios, 0.75))}; target: >= 5000 ops/s and no more than 10% below)`,
    );
    console.log(
      `  control process CPU per op: bare ${median(bareCpu.slice(1)).toFixed(1)} µs, harness ${median(harnessCpu.slice(1)).toFixed(1)} µs (medians)`,
    );
    console.log(
      `  node container CPU per op (node host + program): bare ${median(bareNodeCpu.slice(1)).toFixed(1)} µs, harness ${median(harnessNodeCpu.slice(1)).toFixed(1)} µs (medians)`,
    );
    // The three busy processes keep the 2 cores mostly busy, so ops/s follow the total CPU
    // per op: this ratio is the overhead with less of the scheduling noise of the ops/s one.
    const total = (cpu: number[], node: number[]) =>
      median(cpu.map((c, i) => c + node[i]!).slice(1));
    const bareTotal = total(bareCpu, bareNodeCpu);
    const harnessTotal = total(harnessCpu, harnessNodeCpu);
    console.log(
      `  total CPU per op (control + node): bare ${bareTotal.toFixed(1)} µs, harness ${harnessTotal.toFixed(1)} µs (${pct(bareTotal / harnessTotal)} in ops/s at equal CPU)`,
    );
    console.log(`  load average at the end: ${loadavg()[0]!.toFixed(1)}`);
  } finally {
    await cluster.teardown();
  }
}

/** Reads the CPU time (ns) used so far by a container's processes, from its cgroup v1 cpuacct
 *  (or v2 cpu.stat); returns NaN where neither can be found. */
function nodeCpuReader(container: string): () => number {
  const id = execFileSync("docker", ["inspect", "-f", "{{.Id}}", container]).toString().trim();
  const v1 = `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`;
  const v2 = `/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`;
  if (existsSync(v1)) return () => Number(readFileSync(v1, "utf8"));
  if (existsSync(v2))
    return () => Number(/usage_usec (\d+)/.exec(readFileSync(v2, "utf8"))![1]) * 1000;
  return () => NaN;
}

function range(xs: number[]): string {
  return `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;
}

/** The earliest time (s) at which the history's prefix is already invalid, to 0.25 s. */
async function caughtAt(
  history: Op[],
  check: (ops: Op[]) => Promise<boolean>,
): Promise<number | undefined> {
  const endNs = history.at(-1)?.time ?? 0;
  if (!(await check(history))) return undefined;
  let lo = 0;
  let hi = endNs;
  while (hi - lo > 0.25e9) {
    const mid = (lo + hi) / 2;
    if (await check(history.filter((o) => o.time <= mid))) hi = mid;
    else lo = mid;
  }
  return hi / 1e9;
}

async function timeToCatch(): Promise<void> {
  const raft = getTarget("raft");
  const workload = getWorkload("lin-kv", { nodes: ["n1", "n2", "n3", "n4", "n5"] });
  console.log(
    `\nTime to catch each broken Raft variant: default run (5 nodes, lin-kv, partition,kill, interval ${RUN_DEFAULTS.nemesisIntervalSeconds} s), ${CATCH_TIME_LIMIT} s, seeds ${CATCH_SEEDS.join(", ")}:`,
  );
  for (const variant of Object.keys(raft.variants)) {
    const caught: number[] = [];
    const cells: string[] = [];
    for (const seed of CATCH_SEEDS) {
      const outcome = await runTest(
        {
          ...RUN_DEFAULTS,
          target: "raft",
          variant,
          nemesis: ["partition", "kill"],
          timeLimitSeconds: CATCH_TIME_LIMIT,
          seed,
          store: join(tmp, "store"),
        },
        {
          getTarget,
          getWorkload,
          createCluster,
          progressStream: devNull,
        },
      );
      const history = await readHistory(join(outcome.dir, "history.jsonl"));
      const at =
        outcome.verdict === false
          ? await caughtAt(
              history,
              async (ops) =>
                (await analyze(ops, workload.checkers, { timeLimitMs: 20_000, memoryLimitMb: 512 }))
                  .results.linearizable?.valid === false,
            )
          : undefined;
      if (at !== undefined) caught.push(at);
      cells.push(
        at !== undefined
          ? `seed ${seed}: ${at.toFixed(1)} s`
          : `seed ${seed}: not caught (${outcome.verdict})`,
      );
    }
    const med = caught.length ? median(caught).toFixed(1) + " s" : "never";
    console.log(
      `  ${variant.padEnd(15)} caught ${caught.length}/${CATCH_SEEDS.length}, median ${med}   [${cells.join("; ")}]`,
    );
  }
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

try {
  await ownCost();
  await overhead();
  if (!process.argv.includes("--overhead-only")) await timeToCatch();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
