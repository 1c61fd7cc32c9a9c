// Maelstrom's workloads (echo, unique-ids, broadcast, g-set, g-counter, pn-counter), offline:
// the registry, their request bodies and how replies become completions (ok, definite error
// -> fail, indefinite -> info, unexpected reply -> info), their generators and topologies,
// and each driven against an in-memory node through its own codec: a correct node is valid
// under the workload's checkers, a broken one is caught.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Rng } from "../../core/rng.ts";
import { UserError } from "../../core/errors.ts";
import type { Op } from "../../histories/op.ts";
import { CHECKERS, composeSpecs } from "../../checkers/index.ts";
import type { ComposedResult } from "../../checkers/compose.ts";
import type { Gen, OpSpec } from "../../harness/generator/gen.ts";
import { getWorkload, workloads } from "../../harness/workloads/index.ts";
import { topology, TOPOLOGIES } from "../../harness/workloads/topology.ts";
import type { Workload } from "../../harness/workloads/types.ts";
import type { Body } from "../../targets/types.ts";

const nodes = ["n1", "n2", "n3"];
const ctx = { nodes };
const MAELSTROM = ["echo", "unique-ids", "broadcast", "g-set", "g-counter", "pn-counter"];

function drain(gen: Gen, n = 1_000, seed = 1): OpSpec[] {
  const rng = Rng.seeded(seed);
  const out: OpSpec[] = [];
  for (let i = 0; i < n; i++) {
    const op = gen.next({ rng, elapsedMs: 0 });
    if (!op) break;
    out.push(op);
  }
  return out;
}

test("every Maelstrom workload is registered, with operations and registered checkers", () => {
  for (const name of MAELSTROM) {
    const entry = workloads[name];
    assert.ok(entry, name);
    assert.ok(entry.description.length > 0 && entry.operations.length > 0, name);
    const w = getWorkload(name, ctx);
    assert.equal(w.name, name);
    const names = w.checkers.map((c) => c.checker);
    assert.ok(names.includes("progress"), `${name} checks progress`);
    for (const c of names) assert.ok(CHECKERS[c], `${name}: checker ${c} is registered`);
    // Every operation the workload lists has a body; an unknown one is refused by name.
    for (const f of entry.operations)
      assert.equal(typeof w.messages.request({ f, value: 1 }).type, "string");
    assert.throws(() => w.messages.request({ f: "nope" }), UserError);
  }
});

test("request bodies are Maelstrom's", () => {
  const get = (name: string) => getWorkload(name, ctx).messages;
  assert.deepEqual(get("echo").request({ f: "echo", value: "hi" }), { type: "echo", echo: "hi" });
  assert.deepEqual(get("unique-ids").request({ f: "generate" }), { type: "generate" });
  const b = get("broadcast");
  assert.deepEqual(b.request({ f: "broadcast", value: 7 }), { type: "broadcast", message: 7 });
  assert.deepEqual(b.request({ f: "read" }), { type: "read" });
  assert.deepEqual(b.request({ f: "topology", node: "n1", value: { n1: ["n2"], n2: ["n1"] } }), {
    type: "topology",
    topology: { n1: ["n2"], n2: ["n1"] },
  });
  assert.deepEqual(get("g-set").request({ f: "add", value: 3 }), { type: "add", element: 3 });
  assert.deepEqual(get("g-set").request({ f: "read" }), { type: "read" });
  for (const c of ["g-counter", "pn-counter"]) {
    assert.deepEqual(get(c).request({ f: "add", value: -2 }), { type: "add", delta: -2 });
    assert.deepEqual(get(c).request({ f: "read" }), { type: "read" });
  }
});

test("ok replies become completions carrying what the node returned", () => {
  const get = (name: string) => getWorkload(name, ctx).messages;
  const echo = { f: "echo", value: "hi" };
  assert.deepEqual(get("echo").complete(echo, { type: "echo_ok", echo: "hi" }), {
    type: "ok",
    value: "hi",
  });
  assert.deepEqual(get("echo").complete(echo, { type: "echo_ok", echo: "HI" }), {
    type: "ok",
    value: "HI",
  });
  // Missing payloads are recorded as null, never as the invoked value.
  assert.deepEqual(get("echo").complete(echo, { type: "echo_ok" }), { type: "ok", value: null });
  const gen = { f: "generate" };
  assert.deepEqual(get("unique-ids").complete(gen, { type: "generate_ok", id: [1, 2] }), {
    type: "ok",
    value: [1, 2],
  });
  assert.deepEqual(get("unique-ids").complete(gen, { type: "generate_ok" }), {
    type: "ok",
    value: null,
  });
  const read = { f: "read" };
  const b = get("broadcast");
  assert.deepEqual(b.complete(read, { type: "read_ok", messages: [1, 2] }), {
    type: "ok",
    value: [1, 2],
  });
  assert.deepEqual(b.complete(read, { type: "read_ok", value: [1, 2] }), {
    type: "ok",
    value: null,
  });
  assert.deepEqual(b.complete({ f: "broadcast", value: 4 }, { type: "broadcast_ok" }), {
    type: "ok",
  });
  assert.deepEqual(b.complete({ f: "topology", value: {} }, { type: "topology_ok" }), {
    type: "ok",
  });
  assert.deepEqual(get("g-set").complete(read, { type: "read_ok", value: ["a"] }), {
    type: "ok",
    value: ["a"],
  });
  assert.deepEqual(get("g-counter").complete(read, { type: "read_ok", value: 12 }), {
    type: "ok",
    value: 12,
  });
  assert.deepEqual(get("pn-counter").complete({ f: "add", value: -1 }, { type: "add_ok" }), {
    type: "ok",
  });
});

test("errors: definite codes fail, indefinite ones are info; an unexpected reply is info", () => {
  const cases: [string, OpSpec][] = [
    ["echo", { f: "echo", value: "x" }],
    ["unique-ids", { f: "generate" }],
    ["broadcast", { f: "broadcast", value: 1 }],
    ["broadcast", { f: "read" }],
    ["g-set", { f: "add", value: 1 }],
    ["g-counter", { f: "add", value: 1 }],
    ["pn-counter", { f: "read" }],
  ];
  for (const [name, op] of cases) {
    const codec = getWorkload(name, ctx).messages;
    for (const [code, type] of [
      [11, "fail"],
      [10, "fail"],
      [1, "fail"],
      [0, "info"],
      [13, "info"],
      [99, "info"],
    ] as const) {
      const c = codec.complete(op, { type: "error", code, text: "no" });
      assert.equal(c.type, type, `${name} ${op.f}: code ${code}`);
      assert.equal((c.error as { code: number }).code, code);
    }
    const odd = codec.complete(op, { type: "write_ok" });
    assert.equal(odd.type, "info", `${name} ${op.f}: unexpected reply`);
    assert.match(String(odd.error), /unexpected reply write_ok/);
  }
});

test("generators: unique broadcast messages and set elements, deltas by counter kind, random echoes", () => {
  const main = (name: string) => drain(getWorkload(name, ctx).generator(), 400);
  for (const [name, f] of [
    ["broadcast", "broadcast"],
    ["g-set", "add"],
  ] as const) {
    const ops = main(name);
    const added = ops.filter((o) => o.f === f).map((o) => o.value as number);
    assert.equal(new Set(added).size, added.length, `${name}: every value new`);
    assert.ok(added.every(Number.isInteger));
    assert.ok(ops.some((o) => o.f === "read") && added.length > 100, `${name}: a mix`);
    assert.ok(
      ops.every((o) => o.node === undefined),
      `${name}: the main phase goes to any node`,
    );
  }
  const g = main("g-counter").filter((o) => o.f === "add");
  assert.ok(g.every((o) => (o.value as number) > 0 && Number.isInteger(o.value)));
  const pn = main("pn-counter").filter((o) => o.f === "add");
  assert.ok(pn.some((o) => (o.value as number) < 0) && pn.some((o) => (o.value as number) > 0));
  assert.ok(pn.every((o) => o.value !== 0));
  const echoes = main("echo").map((o) => o.value as string);
  assert.ok(echoes.every((e) => typeof e === "string" && e.length > 0));
  assert.ok(new Set(echoes).size > 350, "echo payloads vary");
  assert.deepEqual(main("unique-ids").slice(0, 2), [{ f: "generate" }, { f: "generate" }]);
  // The same seed gives the same ops.
  assert.deepEqual(
    drain(getWorkload("pn-counter", ctx).generator(), 50, 9),
    drain(getWorkload("pn-counter", ctx).generator(), 50, 9),
  );
});

test("broadcast sets up one topology op per node; final phases read every node twice", () => {
  const w = getWorkload("broadcast", { nodes: ["n1", "n2", "n3", "n4"] });
  const setup = drain(w.setup!());
  assert.deepEqual(
    setup.map((o) => [o.f, o.node]),
    ["n1", "n2", "n3", "n4"].map((n) => ["topology", n]),
  );
  assert.deepEqual(setup[0]!.value, {
    n1: ["n2", "n3"],
    n2: ["n1", "n4"],
    n3: ["n1", "n4"],
    n4: ["n2", "n3"],
  });
  for (const name of ["broadcast", "g-set", "g-counter", "pn-counter"]) {
    const final = drain(getWorkload(name, ctx).final());
    assert.deepEqual(
      final.map((o) => `${o.f}@${o.node}`),
      ["read@n1", "read@n2", "read@n3", "read@n1", "read@n2", "read@n3"],
      name,
    );
  }
  for (const name of ["echo", "unique-ids"])
    assert.deepEqual(drain(getWorkload(name, ctx).final()), []);
});

test("property: every topology is symmetric, connected, names only cluster nodes; grid has at most 4 neighbours", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 30 }), fc.constantFrom(...TOPOLOGIES), (n, shape) => {
      const names = Array.from({ length: n }, (_, i) => `n${i + 1}`);
      const topo = topology(names, shape);
      assert.deepEqual(Object.keys(topo), names);
      for (const [a, ns] of Object.entries(topo)) {
        assert.ok(!ns.includes(a), "no self links");
        for (const b of ns) assert.ok(topo[b]!.includes(a), `${a}-${b} both ways`);
        if (shape === "grid") assert.ok(ns.length <= 4);
        if (shape === "ring") assert.ok(ns.length <= 2);
        if (shape === "total") assert.equal(ns.length, n - 1);
      }
      const reached = new Set(["n1"]);
      const queue = ["n1"];
      while (queue.length > 0)
        for (const b of topo[queue.shift()!]!) if (!reached.has(b)) (reached.add(b), queue.push(b));
      assert.equal(reached.size, n, "connected");
    }),
  );
  assert.throws(() => topology(nodes, "star" as never), UserError);
});

// In-memory nodes: a correct one per workload (one shared state: trivially convergent), and a
// broken one that makes the mistake the workload's checker exists for.
type FakeNode = (node: string, body: Body) => Body;

function fakeNode(workload: string, broken: boolean): FakeNode {
  const seen = new Map<string, unknown[]>(); // per node, for broken broadcast/g-set
  const all: unknown[] = [];
  let sum = 0;
  let adds = 0;
  let ids = 0;
  return (node, body) => {
    switch (body.type) {
      case "echo":
        return { type: "echo_ok", echo: broken ? String(body.echo).toUpperCase() : body.echo };
      case "generate":
        // Broken: a counter per node with no node name in it, so ids collide across nodes.
        return { type: "generate_ok", id: broken ? ids++ % 5 : `${node}-${ids++}` };
      case "topology":
        return { type: "topology_ok" };
      case "broadcast":
      case "add": {
        if (workload.endsWith("counter")) {
          // Broken: acknowledges every third add without applying it.
          if (!broken || ++adds % 3 !== 0) sum += body.delta as number;
        } else {
          const value = body.type === "add" ? body.element : body.message;
          all.push(value);
          // Broken: only the node that received it keeps it; nothing is relayed to n3.
          if (!seen.has(node)) seen.set(node, []);
          seen.get(node)!.push(value);
        }
        return { type: `${body.type}_ok` };
      }
      case "read": {
        if (workload.endsWith("counter")) return { type: "read_ok", value: sum };
        const held = broken && node === "n3" ? (seen.get(node) ?? []) : all;
        return workload === "broadcast"
          ? { type: "read_ok", messages: [...held] }
          : { type: "read_ok", value: [...held] };
      }
    }
    return { type: "error", code: 10, text: `not supported: ${body.type}` };
  };
}

/** Setup, `n` main ops (one client at a time, round-robin over the nodes) and the final phase,
 *  recorded as the worker records them: invoke, then the codec's completion. */
function drive(w: Workload, node: FakeNode, n: number, seed: number): Op[] {
  const history: Op[] = [];
  const rng = Rng.seeded(seed);
  let process = 0;
  const run = (gen: Gen, limit: number) => {
    for (let i = 0; i < limit; i++) {
      const spec = gen.next({ rng, elapsedMs: 0 });
      if (!spec) return;
      const to = spec.node ?? nodes[i % nodes.length]!;
      const base = { process: process++, f: spec.f, node: to };
      history.push({
        index: history.length,
        time: history.length * 1e6,
        type: "invoke",
        value: spec.value,
        ...base,
      });
      const c = w.messages.complete(spec, node(to, w.messages.request(spec)));
      const value = c.value !== undefined ? c.value : spec.value;
      history.push({
        index: history.length,
        time: history.length * 1e6,
        type: c.type,
        value,
        ...base,
      });
    }
  };
  if (w.setup) run(w.setup(), Infinity);
  run(w.generator(), n);
  run(w.final(), Infinity);
  return history;
}

for (const name of MAELSTROM) {
  test(`${name}: a correct node is valid under the workload's checkers, a broken one is caught`, async () => {
    const w = getWorkload(name, ctx);
    const checker = composeSpecs(w.checkers);
    const good = (await checker.check(
      drive(w, fakeNode(name, false), 200, 3),
      {},
    )) as ComposedResult;
    assert.equal(good.valid, true, JSON.stringify(good.results, null, 1).slice(0, 2000));
    const bad = (await checker.check(drive(w, fakeNode(name, true), 200, 3), {})) as ComposedResult;
    assert.equal(bad.valid, false, `${name}: broken node not caught`);
    const main = w.checkers[0]!.checker;
    assert.equal(bad.results[main]!.valid, false, `${name}: caught by ${main}`);
    assert.ok(checker.explain(bad).length > 1, "the explanation says what broke");
  });
}

test("lin-kv moves to fresh keys every two minutes; the final reads read the keys in use", () => {
  const w = getWorkload("lin-kv", ctx);
  const gen = w.generator();
  const rng = Rng.seeded(3);
  const keysAt = (elapsedMs: number) =>
    new Set(Array.from({ length: 300 }, () => gen.next({ rng, elapsedMs })!.key));
  assert.deepEqual([...keysAt(0)].sort(), ["k0", "k1", "k2"]);
  assert.deepEqual([...keysAt(119_000)].sort(), ["k0", "k1", "k2"]);
  assert.deepEqual([...keysAt(121_000)].sort(), ["k3", "k4", "k5"]);
  // A fresh key is written before any cas expects a value of it (none of a retired key's).
  const firstOps = new Map<string, string>();
  for (let i = 0; i < 100; i++) {
    const op = gen.next({ rng, elapsedMs: 250_000 })!;
    assert.ok(["k6", "k7", "k8"].includes(op.key!), op.key);
    if (op.f !== "read" && !firstOps.has(op.key!)) firstOps.set(op.key!, op.f);
  }
  assert.deepEqual([...firstOps.values()], ["write", "write", "write"]);
  const final = w.final!();
  const reads = [1, 2, 3].map(() => final.next({ rng, elapsedMs: 250_000 })?.key);
  assert.deepEqual(reads, ["k6", "k7", "k8"]);
  assert.equal(final.next({ rng, elapsedMs: 250_000 }), undefined);
});
