// The generator: composition, pacing, and the same seed giving the same plan (no Docker).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../core/rng.ts";
import {
  from,
  limit,
  mix,
  once,
  phases,
  timeLimit,
  type Gen,
  type OpSpec,
} from "../../harness/generator/gen.ts";
import { Pacer } from "../../harness/generator/pacer.ts";
import { planRun } from "../../harness/generator/plan.ts";
import type { Workload } from "../../harness/workloads/types.ts";
import { linKvWorkload } from "../../harness/workloads/lin-kv.ts";

/** The register workload's op mix without its checker (so this test needs nothing else). */
function fakeRegister(): Workload {
  return {
    name: "register",
    description: "",
    generator: () =>
      from((rng) => {
        const key = rng.pick(["k0", "k1", "k2"]);
        const f = rng.weighted([
          [5, "read"],
          [3, "write"],
          [2, "cas"],
        ] as const);
        return f === "read"
          ? { f, key }
          : f === "write"
            ? { f, key, value: rng.int(0, 9) }
            : { f, key, value: [rng.int(0, 9), rng.int(0, 9)] };
      }),
    final: () => once(["k0", "k1", "k2"].map((key) => ({ f: "read", key }))),
    messages: linKvWorkload().messages,
    checkers: [],
  };
}

function drain(gen: Gen, rng: Rng, n: number, elapsedMs = 0): OpSpec[] {
  const out: OpSpec[] = [];
  for (let i = 0; i < n; i++) {
    const op = gen.next({ rng, elapsedMs });
    if (!op) break;
    out.push(op);
  }
  return out;
}

const nodes = ["n1", "n2", "n3", "n4", "n5"];
const plan = (seed: number) =>
  planRun({
    seed,
    workload: fakeRegister(),
    faults: ["partition", "kill", "pause", "clock", "loss"],
    nodes,
    nemesisIntervalSeconds: 2,
    timeLimitSeconds: 60,
  });

test("the same seed gives the same op values and the same fault schedule", () => {
  const a = plan(42);
  const b = plan(42);
  assert.deepEqual(drain(a.main, a.rng, 2000), drain(b.main, b.rng, 2000));
  assert.deepEqual(a.schedule, b.schedule);
  assert.ok(a.schedule.length >= 20, "a 60 s run with 2 s intervals plans many faults");
});

test("another seed gives other op values and another schedule", () => {
  const a = plan(42);
  const c = plan(43);
  assert.notDeepEqual(drain(a.main, a.rng, 200), drain(c.main, c.rng, 200));
  assert.notDeepEqual(a.schedule, c.schedule);
});

test("the op mix follows its weights", () => {
  const p = plan(1);
  const ops = drain(p.main, p.rng, 10000);
  const reads = ops.filter((o) => o.f === "read").length / ops.length;
  assert.ok(reads > 0.45 && reads < 0.55, `about half reads, got ${reads}`);
  assert.ok(ops.every((o) => o.f !== "cas" || (Array.isArray(o.value) && o.value.length === 2)));
});

test("the main phase ends at the time limit; the final phase reads every key once", () => {
  const p = plan(7);
  assert.equal(drain(p.main, p.rng, 5, 0).length, 5);
  assert.equal(drain(p.main, p.rng, 5, 60_001).length, 0);
  assert.deepEqual(drain(p.final, p.rng, 100), [
    { f: "read", key: "k0" },
    { f: "read", key: "k1" },
    { f: "read", key: "k2" },
  ]);
});

test("combinators: limit, once, phases, mix, timeLimit", () => {
  const rng = Rng.seeded(3);
  const a = from(() => ({ f: "a" }));
  const b = from(() => ({ f: "b" }));
  const g = phases(limit(2, a), once([{ f: "x" }, { f: "y" }]), limit(1, b));
  assert.deepEqual(
    drain(g, rng, 10).map((o) => o.f),
    ["a", "a", "x", "y", "b"],
  );
  const m = drain(
    mix([
      [1, limit(3, a)],
      [1, limit(3, b)],
    ]),
    rng,
    100,
  );
  assert.equal(m.length, 6, "a mix ends only when every choice is drained");
  const t = timeLimit(100, a);
  assert.ok(t.next({ rng, elapsedMs: 1000 }), "the limit counts from the first ask");
  assert.equal(t.next({ rng, elapsedMs: 1101 }), undefined);
});

test("every planned fault is stopped before the time limit, one at a time", () => {
  for (const seed of [1, 2, 3]) {
    const s = plan(seed).schedule;
    for (let i = 0; i < s.length; i += 2) {
      assert.equal(s[i]!.action, "start");
      assert.equal(s[i + 1]!.action, "stop");
      assert.equal(s[i]!.faultId, s[i + 1]!.faultId);
      assert.ok(s[i]!.atMs < s[i + 1]!.atMs && s[i + 1]!.atMs <= 60_000);
      if (i > 0) assert.ok(s[i - 1]!.atMs <= s[i]!.atMs);
    }
  }
});

test("the pacer spreads a total rate across callers", () => {
  const pacer = new Pacer(100, 0); // one slot per 10 ms
  const waits = [0, 0, 0, 0].map(() => pacer.claim(0));
  assert.deepEqual(waits, [0, 10, 20, 30]);
  assert.equal(new Pacer(0, 0).claim(5), 0, "rate 0 is unpaced");
});
