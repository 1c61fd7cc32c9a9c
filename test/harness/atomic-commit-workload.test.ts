// The atomic-commit workload without Docker: what its generator plans, the bodies it sends and
// what the coordinator's and nodes' replies become (docs/atomic-commit.md is the contract).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../core/rng.ts";
import { UserError } from "../../core/errors.ts";
import type { Gen, OpSpec } from "../../harness/generator/gen.ts";
import { getWorkload } from "../../harness/workloads/index.ts";
import type { TxnValue } from "../../harness/workloads/atomic-commit.ts";

const nodes = ["n1", "n2", "n3", "n4"];

function drain(gen: Gen, n: number, seed = 1): OpSpec[] {
  const rng = Rng.seeded(seed);
  const out: OpSpec[] = [];
  for (let i = 0; i < n; i++) {
    const op = gen.next({ rng, elapsedMs: 0 });
    if (!op) break;
    out.push(op);
  }
  return out;
}

test("transactions go to the coordinator, over participants only, with both kinds of vote", () => {
  const w = getWorkload("atomic-commit", { nodes });
  const ops = drain(w.generator(), 2_000);
  const txns = ops.filter((o) => o.f === "txn");
  const queries = ops.filter((o) => o.f === "states");
  assert.ok(txns.length > 1_700 && queries.length > 40, `${txns.length} txns, ${queries.length}`);
  const ids = new Set<string>();
  let withNo = 0;
  const sizes = new Set<number>();
  for (const op of txns) {
    assert.equal(op.node, "n1");
    const v = op.value as TxnValue;
    ids.add(v.id);
    const parts = Object.keys(v.votes);
    sizes.add(parts.length);
    assert.ok(parts.length >= 1 && parts.every((p) => p !== "n1" && nodes.includes(p)));
    if (Object.values(v.votes).includes(false)) withNo++;
  }
  assert.equal(ids.size, txns.length, "every transaction id is new");
  assert.deepEqual([...sizes].sort(), [1, 2, 3]);
  // About one in five has a participant that cannot commit: both outcomes occur, most commit.
  assert.ok(withNo > txns.length * 0.1 && withNo < txns.length * 0.35, `${withNo}`);
  assert.deepEqual(new Set(queries.map((q) => q.node)), new Set(nodes));
  // The same seed plans the same transactions.
  assert.deepEqual(drain(w.generator(), 50, 7), drain(w.generator(), 50, 7));
});

test("the final phase asks every node its states, twice", () => {
  const w = getWorkload("atomic-commit", { nodes });
  const ops = drain(w.final(), 100);
  assert.deepEqual(
    ops.map((o) => `${o.f} ${o.node}`),
    [...nodes, ...nodes].map((n) => `states ${n}`),
  );
});

test("bodies and completions: commit is ok, abort fails, anything else is unknown", () => {
  const { messages } = getWorkload("atomic-commit", { nodes });
  const op = { f: "txn", node: "n1", value: { id: "t1", votes: { n2: true, n3: false } } };
  assert.deepEqual(messages.request(op), {
    type: "txn",
    txn: "t1",
    votes: { n2: true, n3: false },
  });
  assert.deepEqual(messages.complete(op, { type: "txn_ok", txn: "t1", decision: "commit" }), {
    type: "ok",
    value: { id: "t1", votes: { n2: true, n3: false }, decision: "commit" },
  });
  assert.deepEqual(messages.complete(op, { type: "txn_ok", txn: "t1", decision: "abort" }), {
    type: "fail",
    error: "abort",
  });
  assert.equal(messages.complete(op, { type: "txn_ok", decision: "maybe" }).type, "info");
  assert.equal(messages.complete(op, { type: "error", code: 0, text: "timeout" }).type, "info");
  assert.throws(() => messages.request({ f: "txn", value: 3 }), UserError);

  const states = { f: "states", node: "n2" };
  assert.deepEqual(messages.request(states), { type: "txn_states" });
  const txns = {
    t1: [
      ["INIT", 1],
      ["READY", 2],
    ],
  };
  assert.deepEqual(
    messages.complete(states, { type: "txn_states_ok", role: "participant", now: 5, txns }),
    { type: "ok", value: { role: "participant", now: 5, txns } },
  );
});

test("one node is not enough: a coordinator needs a participant", () => {
  assert.throws(() => getWorkload("atomic-commit", { nodes: ["n1"] }), /2 nodes or more/);
});
