// The counter checker (g-counter, pn-counter): convergence of the final reads, the bounds that
// ok, info and fail adds allow, reads before the end, and a property test on simulated runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkCounter, counterChecker, type CounterResult } from "../../checkers/counter/index.ts";
import { History, lastRead } from "./maelstrom-history.ts";

const nodes = ["n1", "n2", "n3"];
const check = (h: History, opts = {}) => checkCounter(h.ops, { nodes, ...opts }) as CounterResult;

function adds(h: History, list: [number, "ok" | "info" | "fail"][]) {
  list.forEach(([d, type], i) => h.op("add", type, d, nodes[i % nodes.length]));
}

test("final reads equal to the sum of ok adds: valid, with bounds and values reported", () => {
  const h = new History();
  adds(h, [
    [1, "ok"],
    [2, "ok"],
    [3, "ok"],
  ]);
  for (const n of nodes) h.read(n, 6);
  const r = check(h);
  assert.equal(r.valid, true, r.reason);
  assert.deepEqual([r.okSum, r.lower, r.upper], [6, 6, 6]);
  assert.deepEqual(r.finalValues, { n1: 6, n2: 6, n3: 6 });
  assert.equal(r.converged, true);
});

test("info adds widen the bounds both ways by their sign; fail adds never count", () => {
  const h = new History();
  adds(h, [
    [5, "ok"],
    [3, "info"],
    [-2, "info"],
    [100, "fail"],
  ]);
  const base = h.ops.length;
  for (const [value, valid] of [
    [5, true],
    [3, true],
    [8, true],
    [6, true],
    [2, false],
    [9, false],
    [105, false],
  ] as const) {
    h.ops.length = base;
    for (const n of nodes) h.read(n, value);
    const r = check(h);
    assert.deepEqual([r.lower, r.upper], [3, 8]);
    assert.equal(r.valid, valid, `final ${value}`);
    if (!valid) assert.equal(r.outOfBounds.length, 3);
  }
});

test("final reads that differ across nodes do not converge, even within the bounds", () => {
  const h = new History();
  adds(h, [
    [1, "ok"],
    [1, "info"],
  ]);
  h.read("n1", 1);
  h.read("n2", 2);
  h.read("n3", 2);
  const r = check(h);
  assert.equal(r.valid, false);
  assert.equal(r.converged, false);
  assert.deepEqual(r.outOfBounds, []);
  const lines = counterChecker.explain(r).join("\n");
  assert.match(lines, /convergence .*violated; final reads: n1=1, n2=2, n3=2/);
});

test("a lost acknowledged increment is out of bounds", () => {
  const h = new History();
  adds(h, [
    [2, "ok"],
    [3, "ok"],
  ]);
  for (const n of nodes) h.read(n, 2);
  const r = check(h);
  assert.equal(r.valid, false);
  assert.equal(r.converged, true);
  assert.deepEqual(
    r.outOfBounds.map((b) => [b.node, b.value]),
    [
      ["n1", 2],
      ["n2", 2],
      ["n3", 2],
    ],
  );
});

test("reads before the end: stale is allowed, more than was ever added is not", () => {
  const stale = new History();
  stale.op("add", "ok", 4, "n1");
  stale.read("n2", 0); // eventually consistent: n2 has not heard yet
  for (const n of nodes) stale.read(n, 4);
  assert.equal(check(stale).valid, true);

  const inflated = new History();
  inflated.op("add", "ok", 4, "n1");
  inflated.read("n2", 8); // an add applied twice
  inflated.op("add", "ok", 4, "n1");
  for (const n of nodes) inflated.read(n, 8);
  const r = check(inflated);
  assert.equal(r.valid, false);
  assert.equal(r.intermediate.impossible, 1);
  assert.deepEqual(r.intermediate.reads[0]!, { read: 3, node: "n2", value: 8, lower: 0, upper: 4 });

  // A read concurrent with an add may see it.
  const concurrent = new History();
  const p = concurrent.begin("add", 3, "n1");
  concurrent.read("n1", 3);
  concurrent.end(p, "ok", "add", 3, "n1");
  for (const n of nodes) concurrent.read(n, 3);
  assert.equal(check(concurrent).valid, true);
});

test("pn-counter: negative deltas, and reads that are not integers", () => {
  const h = new History();
  adds(h, [
    [-3, "ok"],
    [2, "ok"],
  ]);
  h.read("n1", -1);
  for (const n of nodes) h.read(n, -1);
  assert.equal(check(h).valid, true);
  h.read("n2", null);
  assert.equal(check(h).valid, false, "a read of null");
});

test("no final read, or a node without one: unknown; a non-numeric delta: unknown", () => {
  const h = new History();
  h.op("add", "ok", 1, "n1");
  assert.equal(check(h).valid, "unknown");
  h.read("n1", 1);
  h.read("n2", 1);
  const r = check(h);
  assert.equal(r.valid, "unknown");
  assert.deepEqual(r.nodesWithoutFinalRead, ["n3"]);
  const bad = new History();
  bad.op("add", "ok", "one", "n1");
  assert.equal(checkCounter(bad.ops, {}).valid, "unknown");
});

test("property: a simulated eventually consistent counter is valid; losing one ok add on one node is caught unless info adds explain it", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.boolean(),
      fc.array(
        fc.record({
          read: fc.boolean(),
          delta: fc.integer({ min: -5, max: 5 }).filter((d) => d !== 0),
          outcome: fc.constantFrom("ok" as const, "info" as const, "fail" as const),
          applied: fc.boolean(),
          delay: fc.nat({ max: 6 }),
          node: fc.nat(),
        }),
        { maxLength: 60 },
      ),
      fc.nat(),
      (n, positive, steps, pick) => {
        const names = Array.from({ length: n }, (_, i) => `n${i + 1}`);
        const applied: { delta: number; at: number }[] = [];
        const value = (step: number) =>
          applied.filter((a) => a.at <= step).reduce((s, a) => s + a.delta, 0);
        const h = new History();
        const okAdds: number[] = [];
        steps.forEach((s, step) => {
          const node = names[s.node % n]!;
          if (s.read) return void h.read(node, value(step - s.delay));
          const delta = positive ? Math.abs(s.delta) : s.delta;
          h.op("add", s.outcome, delta, node);
          if (s.outcome === "ok") okAdds.push(delta);
          if (s.outcome === "ok" || (s.outcome === "info" && s.applied))
            applied.push({ delta, at: step });
        });
        const final = value(Infinity);
        for (const name of names) h.read(name, final);
        const r = checkCounter(h.ops, { nodes: names }) as CounterResult;
        assert.equal(r.valid, true, r.reason);

        if (okAdds.length === 0) return;
        const lost = okAdds[pick % okAdds.length]!;
        const last = lastRead(h.ops, names[pick % n]!);
        last.value = final - lost;
        const broken = checkCounter(h.ops, { nodes: names }) as CounterResult;
        // With several nodes the one that lost it disagrees with the others. With one node,
        // info adds may explain the difference: then, and only then, it is not a violation.
        const explained = n === 1 && final - lost >= r.lower && final - lost <= r.upper;
        assert.equal(broken.valid, explained ? true : false, JSON.stringify(broken));
        if (!explained) assert.ok(!broken.converged || broken.outOfBounds.length > 0);
      },
    ),
    { numRuns: 300 },
  );
});
