// Node-protocol targets on real containers: throughput, latency and Raft messages per
// operation (from the hosts' counters), and the single-node Python register's throughput.
// Prints figures; asserts nothing.
import { createCluster } from "../harness/runtime/index.ts";
import type { Cluster } from "../core/runtime.ts";
import { hostStats } from "../targets/host/kit.ts";
import { getTarget } from "../targets/index.ts";
import { linKvWorkload } from "../harness/workloads/lin-kv.ts";

const linKv = linKvWorkload();

const SECONDS = 5;
const CONCURRENCY = 10;

async function load(name: string, nodes: number): Promise<void> {
  const target = getTarget(name);
  const cluster: Cluster = await createCluster({ nodes, ...(await target.clusterSpec({ nodes })) });
  try {
    await target.awaitReady(cluster, 30_000);
    // Let an election settle.
    for (let i = 0; i < 100 && !(await target.leader?.(cluster)); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = await totalSent(cluster);
    const latencies: number[] = [];
    let ok = 0;
    let other = 0;
    const end = Date.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, w) => {
        const client = await target.client(cluster, cluster.nodes[w % nodes]!, linKv.messages);
        for (let i = 0; Date.now() < end; i++) {
          const op =
            i % 2 === 0
              ? { f: "write", key: `k${i % 3}`, value: i }
              : { f: "read", key: `k${i % 3}` };
          const t0 = performance.now();
          const c = await client.invoke(op, 2000);
          latencies.push(performance.now() - t0);
          if (c.type === "ok") ok++;
          else other++;
        }
        await client.close();
      }),
    );
    const sent = (await totalSent(cluster)) - before;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.floor((latencies.length - 1) * p)].toFixed(1);
    console.log(
      `${name} (${nodes} nodes, ${CONCURRENCY} clients): ${(ok / SECONDS).toFixed(0)} ok ops/s, ` +
        `${other} not ok, latency p50 ${pct(0.5)} ms p99 ${pct(0.99)} ms, ` +
        `${(sent / Math.max(1, ok + other)).toFixed(1)} node-to-node messages per op`,
    );
  } finally {
    await cluster.teardown();
  }
}

async function totalSent(cluster: Cluster): Promise<number> {
  let total = 0;
  for (const n of cluster.nodes) {
    const s = await hostStats(cluster, n.name);
    for (const v of Object.values((s?.sent ?? {}) as Record<string, number>)) total += v;
  }
  return total;
}

await load("raft", 5);
await load("python-register", 1);
