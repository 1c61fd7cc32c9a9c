// The node host and the Raft target in real containers (needs a Docker engine and the node
// image from `make setup`; fails saying so otherwise): elections, reads and writes through
// any node, leader kill, restart from disk, drops across a partition, the Python node.
import { after, before, describe, test } from "node:test";
import { kvAndEcho } from "./codec.ts";
import assert from "node:assert/strict";
import { createCluster } from "../../harness/runtime/index.ts";
import type { Cluster } from "../../core/runtime.ts";
import { requestOnce } from "../../targets/host/connection.ts";
import type { Body } from "../../targets/host/connection.ts";
import { bundledProgram, hostClusterSpec, hostStats } from "../../targets/host/kit.ts";
import { awaitHostsReady } from "../../targets/host/kit.ts";
import { getTarget } from "../../targets/index.ts";
import type { Client, Completion } from "../../targets/types.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retry while the outcome is a definite "no leader yet" (error 11) or a timeout. */
async function untilOk(client: Client, op: Parameters<Client["invoke"]>[0]): Promise<Completion> {
  let c = await client.invoke(op, 1000);
  for (let i = 0; i < 40 && c.type !== "ok" && isRetryable(c); i++) {
    await sleep(100);
    c = await client.invoke(op, 1000);
  }
  return c;
}
function isRetryable(c: Completion): boolean {
  const code = (c.error as { code?: number } | undefined)?.code;
  return c.type === "info" || code === 11;
}

async function roles(cluster: Cluster): Promise<Map<string, Body>> {
  const out = new Map<string, Body>();
  await Promise.all(
    cluster.nodes.map(async (n) => {
      const r = await requestOnce(n.ip, n.name, { type: "role" }, 500);
      if (typeof r !== "string") out.set(n.name, r);
    }),
  );
  return out;
}

async function awaitLeader(cluster: Cluster, not?: string): Promise<string> {
  const raft = getTarget("raft");
  for (let i = 0; i < 100; i++) {
    const l = await raft.leader!(cluster);
    if (l && l !== not) return l;
    await sleep(100);
  }
  throw new Error("no leader elected within 10 s");
}

describe("Raft on a real 5-node cluster", () => {
  const raft = getTarget("raft");
  let cluster: Cluster;
  const clients = new Map<string, Client>();
  const acked = new Map<string, unknown>();
  const client = async (node: string) => {
    if (!clients.has(node))
      clients.set(node, await raft.client(cluster, cluster.node(node), kvAndEcho));
    return clients.get(node)!;
  };

  before(async () => {
    const spec = await raft.clusterSpec({ nodes: 5 });
    cluster = await createCluster({ nodes: 5, ...spec });
    await raft.awaitReady(cluster, 30_000);
  });
  after(async () => {
    for (const c of clients.values()) await c.close();
    await cluster?.teardown();
  });

  test("elects exactly one leader", async () => {
    await awaitLeader(cluster);
    const rs = await roles(cluster);
    const top = Math.max(...[...rs.values()].map((r) => Number(r.term)));
    const leaders = [...rs.values()].filter((r) => r.role === "leader" && r.term === top);
    assert.equal(leaders.length, 1);
  });

  test("writes and reads through different nodes succeed", async () => {
    const names = cluster.nodes.map((n) => n.name);
    for (let i = 0; i < names.length; i++) {
      const key = `k${i}`;
      const w = await untilOk(await client(names[i]), { f: "write", key, value: i * 10 });
      assert.equal(w.type, "ok", JSON.stringify(w));
      acked.set(key, i * 10);
      const reader = names[(i + 2) % names.length];
      assert.deepEqual(await untilOk(await client(reader), { f: "read", key }), {
        type: "ok",
        value: i * 10,
      });
    }
    const cas = await untilOk(await client(names[1]), { f: "cas", key: "k0", value: [0, 1] });
    assert.equal(cas.type, "ok");
    acked.set("k0", 1);
    const stats = await hostStats(cluster, names[0]);
    assert.ok(stats && typeof stats.sent === "object", "host_stats answered");
  });

  test("the leader is killed, a new one is elected, acknowledged writes survive", async () => {
    const old = await awaitLeader(cluster);
    await cluster.kill(old);
    const fresh = await awaitLeader(cluster, old);
    assert.notEqual(fresh, old);
    const survivor = cluster.nodes.find((n) => n.name !== old)!.name;
    const w = await untilOk(await client(survivor), { f: "write", key: "after-kill", value: 42 });
    assert.equal(w.type, "ok");
    acked.set("after-kill", 42);
    for (const [key, value] of acked) {
      assert.deepEqual(await untilOk(await client(survivor), { f: "read", key }), {
        type: "ok",
        value,
      });
    }

    // The killed node restarts from its disk and catches up from the leader.
    await cluster.start(old);
    await raft.awaitReady(cluster, 30_000);
    const log = await cluster.getFile(old, "/var/log/faultline/host.log");
    assert.match(
      log.toString(),
      /raft \S+ start: term [1-9]\d*, snapshot to \d+, log [1-9]\d* entries/,
    );
    let caughtUp = false;
    for (let i = 0; i < 50 && !caughtUp; i++) {
      const rs = await roles(cluster);
      const leader = [...rs.values()].find((r) => r.role === "leader");
      caughtUp = !!leader && rs.get(old)?.commit_index === leader.commit_index;
      if (!caughtUp) await sleep(100);
    }
    assert.ok(caughtUp, `${old} did not catch up with the leader's commit index`);
    assert.deepEqual(await untilOk(await client(old), { f: "read", key: "after-kill" }), {
      type: "ok",
      value: 42,
    });
  });
});

describe("node host in containers", () => {
  let probe: Cluster;
  let python: Cluster;

  before(async () => {
    const probeJs = await bundledProgram(new URL("./fixtures/probe.ts", import.meta.url), "probe");
    const py = getTarget("python-register");
    [probe, python] = await Promise.all([
      hostClusterSpec([probeJs], ["node", probeJs.path]).then((s) =>
        createCluster({ nodes: 2, ...s }),
      ),
      py.clusterSpec({ nodes: 1 }).then((s) => createCluster({ nodes: 1, ...s })),
    ]);
    await Promise.all([awaitHostsReady(probe, 30_000), py.awaitReady(python, 30_000)]);
  });
  after(async () => {
    await Promise.all([probe?.teardown(), python?.teardown()]);
  });

  test("drops, rather than delivers late, messages to a partitioned peer", async () => {
    const [n1, n2] = probe.nodes;
    const ask = (n: typeof n1, body: Body) => requestOnce(n.ip, n.name, body, 1000);
    await probe.partition({ n1: ["n2"], n2: ["n1"] });
    assert.equal(
      ((await ask(n1, { type: "spray", to: "n2", count: 200 })) as Body).type,
      "spray_ok",
    );
    await sleep(1000);
    await probe.healNetwork();
    await sleep(1000);
    assert.equal(((await ask(n2, { type: "count" })) as Body).pings, 0, "late delivery");
    await ask(n1, { type: "spray", to: "n2", count: 20 });
    await sleep(500);
    assert.equal(((await ask(n2, { type: "count" })) as Body).pings, 20, "no delivery after heal");
  });

  test("the Python node answers clients under the host", async () => {
    const py = getTarget("python-register");
    const c = await py.client(python, python.nodes[0]!, kvAndEcho);
    assert.deepEqual(await c.invoke({ f: "write", key: "a", value: 1 }, 2000), { type: "ok" });
    assert.deepEqual(await c.invoke({ f: "read", key: "a" }, 2000), { type: "ok", value: 1 });
    assert.deepEqual(await c.invoke({ f: "echo", value: "x" }, 2000), { type: "ok", value: "x" });
    await c.close();
    assert.match(await python.logs("n1"), /python register node n1 started/);
  });
});
