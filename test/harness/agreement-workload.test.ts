// The agreement workload without Docker: what its generator plans (a rotating primary, seeded
// values, every node read once the bound has passed, the rest read in the final phase), and
// the bodies it sends and what replies become (docs/byzantine-agreement.md is the contract).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../core/rng.ts";
import { UserError } from "../../core/errors.ts";
import { getWorkload } from "../../harness/workloads/index.ts";
import { agreementWorkload, type ProposeValue } from "../../harness/workloads/agreement.ts";
import type { OpSpec } from "../../harness/generator/gen.ts";

const nodes = ["n1", "n2", "n3", "n4"];

test("proposes rotate over the nodes with seeded values at the pace reads can follow; every node is read once its bound has passed, then again", () => {
  const w = agreementWorkload({ nodes }, { decideWithinMs: 1000 });
  const gen = w.generator();
  const rng = Rng.seeded(7);
  // A client pace of 100 calls a second, for 6 s.
  const ops: { at: number; op: OpSpec }[] = [];
  for (let at = 0; at < 6000; at += 10) ops.push({ at, op: gen.next({ rng, elapsedMs: at })! });
  const proposes = ops.filter((o) => o.op.f === "propose");
  const values = proposes.map((o) => (o.op.value as ProposeValue).value);
  assert.ok(values.includes("T") && values.includes("F"));
  proposes.forEach((o, i) => {
    assert.equal(o.op.node, nodes[i % nodes.length]);
    assert.equal((o.op.value as ProposeValue).instance, `a${i + 1}`);
  });
  // One instance costs 5 ops; a fifth of the calls is spare: 16 instances a second.
  for (let s = 1; s < 6; s++) {
    const n = proposes.filter((o) => o.at >= s * 1000 && o.at < (s + 1) * 1000).length;
    assert.ok(n >= 12 && n <= 18, `${n} proposes in second ${s}`);
  }
  const proposedAt = new Map(proposes.map((o) => [(o.op.value as ProposeValue).instance, o.at]));
  const reads = ops.filter((o) => o.op.f === "read_decision");
  const firstRead = new Map<string, number>();
  for (const r of reads) {
    const instance = (r.op.value as { instance: string }).instance;
    const late = r.at - proposedAt.get(instance)!;
    // Before the first bound has passed, spare calls ask about the newest instance early.
    if (late < 1000) {
      assert.ok(r.at < 1000, `${instance} read early at ${r.at} ms`);
      continue;
    }
    const key = `${instance} ${r.op.node}`;
    // The due reads keep up: each node is asked within 100 ms of the bound.
    if (!firstRead.has(key)) {
      firstRead.set(key, r.at);
      assert.ok(late < 1100, `${key} read ${late} ms after its propose`);
    }
  }
  assert.ok(reads.length > firstRead.size, "no re-reads");
  // Every instance is read on every node: in the main phase or the final one.
  const final: OpSpec[] = [];
  const fin = w.final();
  for (let op = fin.next({ rng, elapsedMs: 9000 }); op; op = fin.next({ rng, elapsedMs: 9000 }))
    final.push(op);
  assert.ok(final.length > 0 && final.every((o) => o.f === "read_decision"));
  const asked = new Set([
    ...firstRead.keys(),
    ...final.map((o) => `${(o.value as { instance: string }).instance} ${o.node}`),
  ]);
  for (const instance of proposedAt.keys())
    for (const node of nodes) assert.ok(asked.has(`${instance} ${node}`), `${instance} ${node}`);
  // The same seed plans the same ops.
  const again = agreementWorkload({ nodes }, { decideWithinMs: 1000 }).generator();
  const rng2 = Rng.seeded(7);
  for (const o of ops) assert.deepEqual(again.next({ rng: rng2, elapsedMs: o.at }), o.op);
});

test("bodies: propose and read_decision; not decided (error 20) is an ok read of null", () => {
  const w = getWorkload("agreement", { nodes });
  const propose = { f: "propose", node: "n2", value: { instance: "a3", value: "T" } };
  assert.deepEqual(w.messages.request(propose), { type: "propose", instance: "a3", value: "T" });
  assert.deepEqual(w.messages.complete(propose, { type: "propose_ok" }), { type: "ok" });
  const read = { f: "read_decision", node: "n1", value: { instance: "a3" } };
  assert.deepEqual(w.messages.request(read), { type: "read_decision", instance: "a3" });
  assert.deepEqual(w.messages.complete(read, { type: "read_decision_ok", value: "F" }), {
    type: "ok",
    value: { instance: "a3", value: "F" },
  });
  assert.deepEqual(w.messages.complete(read, { type: "error", code: 20, text: "not decided" }), {
    type: "ok",
    value: { instance: "a3", value: null },
  });
  assert.equal(w.messages.complete(read, { type: "error", code: 0 }).type, "info");
  assert.equal(w.messages.complete(read, { type: "write_ok" }).type, "info");
  assert.throws(() => w.messages.request({ f: "read_decision", value: 3 }), UserError);
  assert.deepEqual(w.checkers, [
    { checker: "agreement", options: { nodes, decideWithinMs: 3000 } },
    { checker: "progress" },
  ]);
  assert.throws(() => getWorkload("agreement", { nodes: ["n1"] }), /2 nodes or more/);
});
