// Partition shapes: properties that hold for every seed and cluster size (fast-check).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Rng } from "../../core/rng.ts";
import {
  bridge,
  halves,
  isolate,
  majoritiesRing,
  affectedNodes,
} from "../../nemesis/partitions.ts";
import type { Grudge } from "../../core/runtime.ts";

const names = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);
const sees = (g: Grudge, a: string, b: string) => !(g[a] ?? []).includes(b);
const visible = (g: Grudge, nodes: string[], a: string) =>
  nodes.filter((b) => sees(g, a, b) && sees(g, b, a));

test("halves: a minority and a majority that cannot see each other", () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 9 }), fc.integer(), (n, seed) => {
      const nodes = names(n);
      const g = halves(nodes, Rng.seeded(seed));
      const sizes = nodes.map((a) => visible(g, nodes, a).length);
      assert.ok(sizes.every((s) => s === Math.floor(n / 2) || s === n - Math.floor(n / 2)));
      assert.ok(
        sizes.some((s) => s <= n / 2),
        "one side is a minority (or an exact half)",
      );
    }),
  );
});

test("isolate: one node sees nobody, the others see each other", () => {
  const nodes = names(5);
  const g = isolate(nodes, "n3");
  assert.deepEqual(visible(g, nodes, "n3"), ["n3"]);
  assert.deepEqual(visible(g, nodes, "n1"), ["n1", "n2", "n4", "n5"]);
  assert.deepEqual(affectedNodes(g), nodes);
});

test("majorities ring: every node sees a majority, not all the same one", () => {
  fc.assert(
    fc.property(fc.integer({ min: 4, max: 9 }), fc.integer(), (n, seed) => {
      const nodes = names(n);
      const g = majoritiesRing(nodes, Rng.seeded(seed));
      const views = nodes.map((a) => visible(g, nodes, a));
      assert.ok(
        views.every((v) => v.length > n / 2 && v.length < n),
        "a majority but not everyone",
      );
      assert.ok(new Set(views.map((v) => v.join())).size > 1, "different majorities");
      // symmetric: a cut is two-way
      for (const a of nodes) for (const b of nodes) assert.equal(sees(g, a, b), sees(g, b, a));
    }),
  );
});

test("bridge: two halves cut apart, one node sees everyone", () => {
  fc.assert(
    fc.property(fc.integer({ min: 3, max: 9 }), fc.integer(), (n, seed) => {
      const nodes = names(n);
      const g = bridge(nodes, Rng.seeded(seed));
      const views = nodes.map((a) => visible(g, nodes, a).length);
      assert.equal(views.filter((v) => v === n).length, 1, "exactly one bridge node");
      assert.ok(views.filter((v) => v < n).every((v) => v <= Math.ceil((n - 1) / 2) + 1));
    }),
  );
});
