// The set-convergence checker (g-set): lost acknowledged adds, diverging final reads, elements
// never added, info adds that may or may not show; and a property test on simulated runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkSetConvergence,
  setConvergenceChecker,
} from "../../checkers/set-convergence/index.ts";
import { History, simulateGrowOnly, type GrowOnlySim, lastRead } from "./maelstrom-history.ts";

const nodes = ["n1", "n2"];

test("every acknowledged element on every node, final reads agreeing: valid", () => {
  const h = new History();
  h.op("add", "ok", "a", "n1");
  h.read("n2", []);
  h.op("add", "ok", { x: 1, y: 2 }, "n2");
  for (const n of nodes) h.read(n, [{ y: 2, x: 1 }, "a"]); // object key order does not matter
  const r = checkSetConvergence(h.ops, { nodes });
  assert.equal(r.valid, true, r.reason);
  assert.deepEqual(r.adds, { ok: 2, info: 0, fail: 0 });
});

test("a lost acknowledged add is named with the nodes missing it", () => {
  const h = new History();
  h.op("add", "ok", 1, "n1");
  h.op("add", "ok", 2, "n2");
  h.read("n1", [1, 2]);
  h.read("n2", [1]);
  const r = checkSetConvergence(h.ops, { nodes });
  assert.equal(r.valid, false);
  assert.equal(r.lost, 1);
  assert.deepEqual(r.lostElements, [{ element: 2, add: 2, missingOn: ["n2"] }]);
  assert.equal(r.diverged, 1);
  assert.match(setConvergenceChecker.explain(r).join("\n"), /lost 2 \(add op 2\): missing on n2/);
});

test("info adds may show or not, but the same on every node", () => {
  for (const seen of [[1], [1, 2]]) {
    const h = new History();
    h.op("add", "ok", 1, "n1");
    h.op("add", "info", 2, "n2");
    for (const n of nodes) h.read(n, seen);
    const r = checkSetConvergence(h.ops, { nodes });
    assert.equal(r.valid, true, r.reason);
    assert.equal(r.maybe.count, 1);
    assert.equal(r.maybe.present, seen.length - 1);
    assert.deepEqual(r.maybe.elements, [2]);
  }
  const h = new History();
  h.op("add", "ok", 1, "n1");
  h.op("add", "info", 2, "n2");
  h.read("n1", [1]);
  h.read("n2", [1, 2]);
  const r = checkSetConvergence(h.ops, { nodes });
  assert.equal(r.valid, false);
  assert.equal(r.lost, 0);
  assert.deepEqual(r.divergedElements, [{ element: 2, presentOn: ["n2"], missingOn: ["n1"] }]);
});

test("an element read that was never added, or only by a failed add, is invented", () => {
  for (const [inject, why] of [
    [(h: History) => h.read("n1", [1, 42]), "never added"],
    [
      (h: History) => {
        h.op("add", "fail", 5, "n1");
        h.read("n2", [1, 5]);
      },
      "add failed",
    ],
  ] as const) {
    const h = new History();
    h.op("add", "ok", 1, "n1");
    inject(h);
    for (const n of nodes) h.read(n, [1]);
    const r = checkSetConvergence(h.ops, { nodes });
    assert.equal(r.valid, false, why);
    assert.equal(r.unexpected, 1);
    assert.equal(r.unexpectedElements[0]!.why, why);
  }
  // 1 and "1" are different elements.
  const h = new History();
  h.op("add", "ok", 1, "n1");
  for (const n of nodes) h.read(n, ["1", 1]);
  assert.equal(checkSetConvergence(h.ops, { nodes }).unexpected, 1);
});

test("a read that is not a list is malformed; missing final reads leave it unknown", () => {
  const h = new History();
  h.op("add", "ok", 1, "n1");
  h.read("n1", null);
  for (const n of nodes) h.read(n, [1]);
  const r = checkSetConvergence(h.ops, { nodes });
  assert.equal(r.valid, false);
  assert.equal(r.malformed, 1);

  const u = new History();
  u.op("add", "ok", 1, "n1");
  u.read("n1", [1]);
  u.op("read", "info", undefined, "n2");
  const ur = checkSetConvergence(u.ops, { nodes });
  assert.equal(ur.valid, "unknown");
  assert.deepEqual(ur.nodesWithoutFinalRead, ["n2"]);
});

const simArb = (n: number): fc.Arbitrary<GrowOnlySim> =>
  fc.record({
    nodes: fc.constant(n),
    steps: fc.array(
      fc.oneof(
        fc.record({
          kind: fc.constant("add" as const),
          outcome: fc.constantFrom("ok" as const, "info" as const, "fail" as const),
          applied: fc.boolean(),
          delays: fc.array(fc.nat({ max: 10 }), { minLength: n, maxLength: n }),
        }),
        fc.record({ kind: fc.constant("read" as const), node: fc.nat({ max: n - 1 }) }),
      ),
      { maxLength: 60 },
    ),
  });

test("property: a simulated correct g-set is valid; removing an element from one node's final read is caught", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(simArb(n), fc.nat(), fc.nat())),
      ([sim, pickElement, pickNode]) => {
        const { history, nodes } = simulateGrowOnly(sim, "add");
        const r = checkSetConvergence(history, { nodes });
        assert.equal(r.valid, true, r.reason);
        const node = nodes[pickNode % nodes.length]!;
        const last = lastRead(history, node);
        const held = last.value as number[];
        if (held.length === 0) return;
        const element = held[pickElement % held.length];
        last.value = held.filter((e) => e !== element);
        const broken = checkSetConvergence(history, { nodes });
        assert.equal(broken.valid, false);
        // Gone from its last read but in its first: lost if acknowledged, diverged either way.
        const named = [...broken.lostElements, ...broken.divergedElements].map((x) => x.element);
        assert.ok(named.includes(element), JSON.stringify(broken));
      },
    ),
    { numRuns: 300 },
  );
});
