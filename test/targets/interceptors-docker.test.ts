// The node host's interceptor rules on real packets between real containers (needs a Docker
// engine and the node image from `make setup`; fails saying so otherwise): each rule does what
// it says to the pings one node sends another, and healing (an empty rule list) removes it.
// The cluster's target is `authenticated`, so forged pings are dropped by the receiver.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createCluster, dockerAvailable } from "../../harness/runtime/index.ts";
import type { Cluster } from "../../core/runtime.ts";
import { requestOnce } from "../../targets/host/connection.ts";
import type { Body } from "../../targets/host/connection.ts";
import {
  awaitHostsReady,
  bundledProgram,
  hostClusterSpec,
  hostStats,
  setHostRules,
} from "../../targets/host/kit.ts";
import { byzantineEnv } from "../../targets/host/interceptors/byzantine-env.ts";
import type { MessageRule } from "../../targets/host/interceptors/rule.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Ping {
  src: string;
  seq: number;
  value: unknown;
}

describe("interceptor rules between real containers", () => {
  let cluster: Cluster;

  const ask = async (node: string, body: Body): Promise<Body> => {
    const r = await requestOnce(cluster.node(node).ip, node, body, 2000);
    assert.ok(typeof r !== "string", `${node} answered ${body.type}: ${r}`);
    return r;
  };
  const spray = (from: string, to: string, count: number, value: unknown = "T") =>
    ask(from, { type: "spray", to, count, value });
  const log = async (node: string) => (await ask(node, { type: "log" })).pings as Ping[];
  /** The pings `node` received once `want` arrived or `ms` passed; the log is then cleared. */
  const received = async (node: string, want: number, ms = 1500): Promise<Ping[]> => {
    const deadline = Date.now() + ms;
    let got = await log(node);
    while (got.length < want && Date.now() < deadline) {
      await sleep(50);
      got = await log(node);
    }
    await sleep(150); // anything beyond `want` (copies, replays) arrives too
    got = await log(node);
    await ask(node, { type: "clear" });
    return got;
  };
  const rules = (node: string, r: MessageRule[]) => setHostRules(cluster, node, r);
  /** After healing, n1's pings reach n2 as sent: all, once, in order, true. */
  const assertHealed = async () => {
    await rules("n1", []);
    await spray("n1", "n2", 5);
    const got = await received("n2", 5);
    assert.deepEqual(
      got.map((p) => [p.src, p.seq, p.value]),
      [0, 1, 2, 3, 4].map((i) => ["n1", i, "T"]),
      "healed: every ping once, in order, unchanged",
    );
  };

  before(async () => {
    assert.ok(
      await dockerAvailable(),
      "These tests need a Docker engine: run `make setup` (or point DOCKER_HOST at one).",
    );
    const program = await bundledProgram(
      new URL("./fixtures/listener.ts", import.meta.url),
      "listener",
    );
    const spec = await hostClusterSpec([program], ["node", program.path]);
    cluster = await createCluster({
      nodes: 3,
      ...spec,
      env: byzantineEnv({ valueFields: ["value"], authenticated: true }),
    });
    await awaitHostsReady(cluster, 30_000);
  });
  after(async () => {
    await cluster?.teardown();
  });

  test("drop, per destination: n2 gets nothing, n3 everything; healing restores n2", async () => {
    await rules("n1", [{ action: "drop", dest: ["n2"] }]);
    await spray("n1", "n2", 10);
    await spray("n1", "n3", 10);
    assert.equal((await received("n3", 10)).length, 10);
    assert.equal((await received("n2", 1, 500)).length, 0);
    await assertHealed();
  });

  test("delay: nothing arrives before the delay, everything after it", async () => {
    await rules("n1", [{ action: "delay", ms: 800, jitter_ms: 100 }]);
    await spray("n1", "n2", 10);
    await sleep(200);
    assert.equal((await log("n2")).length, 0, "none before 700 ms");
    assert.equal((await received("n2", 10, 3000)).length, 10, "all after the delay");
    await assertHealed();
  });

  test("duplicate: every ping arrives twice", async () => {
    await rules("n1", [{ action: "duplicate", copies: 1 }]);
    await spray("n1", "n2", 10);
    const got = await received("n2", 20);
    assert.equal(got.length, 20);
    for (let i = 0; i < 10; i++) assert.equal(got.filter((p) => p.seq === i).length, 2);
    await assertHealed();
  });

  test("reorder: pings arrive newest first in batches", async () => {
    await rules("n1", [{ action: "reorder", hold: 5, ms: 200 }]);
    await spray("n1", "n2", 10);
    const got = await received("n2", 10);
    assert.deepEqual(
      got.map((p) => p.seq),
      [4, 3, 2, 1, 0, 9, 8, 7, 6, 5],
    );
    await assertHealed();
  });

  test("flip: the value field changes, nothing else", async () => {
    await rules("n1", [{ action: "flip" }]);
    await spray("n1", "n2", 5, "T");
    const got = await received("n2", 5);
    assert.deepEqual(
      got.map((p) => [p.seq, p.value]),
      [0, 1, 2, 3, 4].map((i) => [i, "F"]),
    );
    await assertHealed();
  });

  test("equivocate: the two peers hear different values", async () => {
    await rules("n1", [{ action: "equivocate", seed: 5 }]);
    await spray("n1", "n2", 5, "T");
    await spray("n1", "n3", 5, "T");
    const at2 = new Set((await received("n2", 5)).map((p) => p.value));
    const at3 = new Set((await received("n3", 5)).map((p) => p.value));
    assert.equal(at2.size, 1, "one story to n2");
    assert.equal(at3.size, 1, "one story to n3");
    assert.notDeepEqual([...at2], [...at3], "different stories");
    await assertHealed();
  });

  test("forge: the receiving host of an authenticated target drops and counts the forgeries", async () => {
    const before = ((await hostStats(cluster, "n2"))?.forged ?? {}) as Record<string, number>;
    await rules("n1", [{ action: "forge", seed: 0 }]);
    await spray("n1", "n2", 6);
    assert.equal((await received("n2", 1, 600)).length, 0, "no forged ping delivered");
    const after = (await hostStats(cluster, "n2"))?.forged as Record<string, number>;
    assert.equal((after.ping ?? 0) - (before.ping ?? 0), 6, "counted in host_stats.forged");
    await assertHealed();
  });

  test("replay: old pings come again beside the new ones", async () => {
    await spray("n1", "n2", 5, "old");
    await received("n2", 5);
    await rules("n1", [{ action: "replay", seed: 1 }]);
    await spray("n1", "n2", 5, "new");
    const got = await received("n2", 10);
    assert.equal(got.filter((p) => p.value === "new").length, 5, "the real ones");
    assert.ok(got.filter((p) => p.value === "old").length >= 1, "old ones again");
    assert.equal(got.length, 10);
    await assertHealed();
  });

  test("silent: nothing reaches the peers, yet the node answers its client", async () => {
    await rules("n1", [{ action: "silent" }]);
    assert.equal((await spray("n1", "n2", 5)).type, "spray_ok");
    await spray("n1", "n3", 5);
    assert.equal((await received("n2", 1, 500)).length, 0);
    assert.equal((await received("n3", 1, 100)).length, 0);
    await assertHealed();
  });

  test("a bad rule is refused with a sentence, and the counters show what rules took", async () => {
    const r = await ask("n1", { type: "host_rules", rules: [{ action: "explode" }] });
    assert.equal(r.type, "error");
    assert.match(String(r.text), /action must be one of/);
    const stats = await hostStats(cluster, "n1");
    const taken = stats?.intercepted as Record<string, number>;
    for (const a of ["drop", "delay", "duplicate", "reorder", "flip", "equivocate", "forge"])
      assert.ok((taken[a] ?? 0) > 0, `${a} counted`);
  });
});
