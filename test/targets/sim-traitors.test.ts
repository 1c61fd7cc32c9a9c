// The simulated network's traitors: the node hosts' interceptor rules applied in the sim
// (SimNetwork.setRules), so protocol sim tests can run Byzantine nodes in seconds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SimNetwork } from "./sim-network.ts";
import type { Node } from "../../targets/lib/node.ts";

/** Three listener nodes: n1 sprays pings on `spray`, each node logs what it receives. */
function cluster(opts: { authenticated?: boolean } = {}) {
  const net = new SimNetwork(["n1", "n2", "n3"], { seed: 1, valueFields: ["value"], ...opts });
  const got = new Map<string, Array<{ src: string; seq: unknown; value: unknown }>>();
  for (const id of net.nodeIds) {
    got.set(id, []);
    net.start(id, (node: Node) => {
      node.on("ping", (m) =>
        got.get(id)!.push({ src: m.src, seq: m.body.seq, value: m.body.value }),
      );
    });
  }
  net.run(10);
  const spray = (to: string, count: number) => {
    for (let i = 0; i < count; i++) net.node("n1")!.send(to, { type: "ping", seq: i, value: "T" });
    net.run(1000);
  };
  return { net, got, spray };
}

test("a flipping traitor's peers get flipped values; healing restores the truth", () => {
  const { net, got, spray } = cluster();
  net.setRules("n1", [{ action: "flip" }]);
  spray("n2", 3);
  assert.deepEqual(
    got.get("n2")!.map((p) => p.value),
    ["F", "F", "F"],
  );
  net.setRules("n1", []);
  spray("n3", 2);
  assert.deepEqual(
    got.get("n3")!.map((p) => p.value),
    ["T", "T"],
  );
});

test("equivocation tells the two peers different things", () => {
  const { net, got, spray } = cluster();
  net.setRules("n1", [{ action: "equivocate", seed: 4 }]);
  spray("n2", 2);
  spray("n3", 2);
  const v2 = new Set(got.get("n2")!.map((p) => p.value));
  const v3 = new Set(got.get("n3")!.map((p) => p.value));
  assert.equal(v2.size, 1);
  assert.equal(v3.size, 1);
  assert.notDeepEqual([...v2], [...v3]);
});

test("forged messages are believed unless the target is authenticated", () => {
  const open = cluster();
  open.net.setRules("n1", [{ action: "forge" }]);
  open.spray("n2", 2);
  assert.deepEqual(
    open.got.get("n2")!.map((p) => p.src),
    ["n3", "n3"],
  );
  const auth = cluster({ authenticated: true });
  auth.net.setRules("n1", [{ action: "forge" }]);
  auth.spray("n2", 2);
  assert.equal(auth.got.get("n2")!.length, 0);
  assert.equal(auth.net.forged, 2);
});

test("a silent traitor sends nothing; without rules the sim delivers as before", () => {
  const { net, got, spray } = cluster();
  net.setRules("n1", [{ action: "silent" }]);
  spray("n2", 3);
  assert.equal(got.get("n2")!.length, 0);
  net.setRules("n1", []);
  spray("n2", 3);
  assert.equal(got.get("n2")!.length, 3);
});
