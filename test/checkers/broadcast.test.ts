// The broadcast checker: reliable broadcast's validity, agreement and integrity on hand-written
// histories (each property kept and broken), stable latency, which reads are final, and a
// property test on simulated correct runs with one acknowledged message dropped.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { broadcastChecker, checkBroadcast } from "../../checkers/broadcast/index.ts";
import { getChecker } from "../../checkers/index.ts";
import { History, simulateGrowOnly, type GrowOnlySim, lastRead } from "./maelstrom-history.ts";

const nodes = ["n1", "n2", "n3"];

/** Three ok broadcasts, some reads on the way, then every node read twice with all of them. */
function healthy(): History {
  const h = new History();
  h.op("broadcast", "ok", 1, "n1");
  h.read("n2", [1]);
  h.op("broadcast", "ok", 2, "n2");
  h.op("broadcast", "ok", 3, "n3");
  h.read("n1", [2, 1]);
  for (let round = 0; round < 2; round++) for (const n of nodes) h.read(n, [1, 2, 3]);
  return h;
}

test("a run where every node ends with every message is valid", () => {
  const r = checkBroadcast(healthy().ops, { nodes });
  assert.equal(r.valid, true, r.reason);
  assert.deepEqual(r.broadcasts, { ok: 3, info: 0, fail: 0 });
  assert.equal(r.finalReads, "inferred");
  assert.deepEqual(r.nodesWithoutFinalRead, []);
  assert.equal(r.latency.stable, 3);
  assert.equal(r.latency.neverStable, 0);
  assert.equal(getChecker("broadcast"), broadcastChecker);
});

test("validity: an acknowledged message missing from one node's final read is lost, and named", () => {
  const h = new History();
  h.op("broadcast", "ok", 1, "n1");
  h.op("broadcast", "ok", 2, "n1");
  h.read("n1", [1, 2]);
  h.read("n2", [1, 2]);
  const bad = h.read("n3", [1]);
  const r = checkBroadcast(h.ops, { nodes });
  assert.equal(r.valid, false);
  assert.equal(r.validity.valid, false);
  assert.equal(r.validity.lost, 1);
  assert.deepEqual(r.validity.lostMessages, [{ message: 2, broadcast: 2, missingOn: ["n3"] }]);
  // Two nodes have it and one does not: agreement is broken as well.
  assert.equal(r.agreement.valid, false);
  assert.deepEqual(r.agreement.messages[0]!.seenOn, ["n1", "n2"]);
  const lines = broadcastChecker.explain(r).join("\n");
  assert.match(lines, /lost 2 \(broadcast op 2\): missing on n3/);
  assert.ok(bad.index > 0);
});

test("validity: an acknowledged message on no node at all is lost (agreement holds)", () => {
  const h = new History();
  h.op("broadcast", "ok", 1, "n1");
  h.op("broadcast", "ok", 2, "n2");
  for (const n of nodes) h.read(n, [1]);
  const r = checkBroadcast(h.ops, { nodes });
  assert.equal(r.valid, false);
  assert.deepEqual(r.validity.lostMessages[0]!.missingOn, nodes);
  assert.equal(r.agreement.valid, true);
});

test("agreement: an info broadcast may show nowhere or everywhere, not on some nodes only", () => {
  const base = () => {
    const h = new History();
    h.op("broadcast", "ok", 1, "n1");
    h.op("broadcast", "info", 2, "n2");
    return h;
  };
  for (const everywhere of [[1], [1, 2]]) {
    const h = base();
    for (const n of nodes) h.read(n, everywhere);
    assert.equal(checkBroadcast(h.ops, { nodes }).valid, true, JSON.stringify(everywhere));
  }
  const h = base();
  h.read("n1", [1, 2]);
  h.read("n2", [1]);
  h.read("n3", [1]);
  const r = checkBroadcast(h.ops, { nodes });
  assert.equal(r.valid, false);
  assert.equal(r.validity.valid, true, "info messages are not owed to anyone");
  assert.deepEqual(r.agreement.messages, [
    { message: 2, broadcast: 2, missingOn: ["n2", "n3"], seenOn: ["n1"] },
  ]);
});

test("agreement: a message one node showed in its first final read and lost by its last", () => {
  const h = new History();
  h.op("broadcast", "info", 7, "n1");
  for (const n of nodes) h.read(n, n === "n1" ? [7] : []);
  for (const n of nodes) h.read(n, []);
  const r = checkBroadcast(h.ops, { nodes });
  assert.equal(r.valid, false);
  assert.deepEqual(r.agreement.messages[0]!.missingOn, nodes);
});

test("integrity: a message never broadcast, one whose broadcast failed, one read before its broadcast, one twice", () => {
  const cases: [
    string,
    (h: History) => void,
    keyof ReturnType<typeof checkBroadcast>["integrity"],
  ][] = [
    ["never broadcast", (h) => h.read("n2", [1, 99]), "neverBroadcast"],
    [
      "failed broadcast",
      (h) => {
        h.op("broadcast", "fail", 5, "n1");
        h.read("n2", [1, 5]);
      },
      "failedBroadcast",
    ],
    [
      "before its broadcast",
      (h) => {
        h.read("n2", [1, 6]);
        h.op("broadcast", "info", 6, "n1");
      },
      "beforeBroadcast",
    ],
    ["twice in one read", (h) => h.read("n2", [1, 1]), "duplicated"],
    ["not a list", (h) => h.read("n2", null), "malformed"],
  ];
  for (const [what, inject, field] of cases) {
    const h = new History();
    h.op("broadcast", "ok", 1, "n1");
    inject(h);
    for (const n of nodes) h.read(n, [1]);
    const r = checkBroadcast(h.ops, { nodes });
    assert.equal(r.valid, false, what);
    assert.equal(r.integrity.valid, false, what);
    assert.equal(r.integrity[field], 1, what);
    assert.match(broadcastChecker.explain(r).join("\n"), /integrity .*violated/, what);
  }
});

test("a node without a final read leaves the verdict unknown, and no final read at all too", () => {
  const h = healthy();
  const r = checkBroadcast(h.ops, { nodes: [...nodes, "n4"] });
  assert.equal(r.valid, "unknown");
  assert.deepEqual(r.nodesWithoutFinalRead, ["n4"]);
  assert.match(r.reason!, /n4/);

  const none = new History();
  none.op("broadcast", "ok", 1, "n1");
  none.op("read", "fail", undefined, "n1");
  assert.equal(checkBroadcast(none.ops, { nodes }).valid, "unknown");
  // Without the nodes option, the nodes the history names are expected.
  const partial = new History();
  partial.op("broadcast", "ok", 1, "n3");
  partial.read("n1", [1]);
  assert.deepEqual(checkBroadcast(partial.ops).nodesWithoutFinalRead, ["n3"]);
});

test("only final reads are held to convergence: earlier reads may lag", () => {
  const h = new History();
  h.op("broadcast", "ok", 1, "n1");
  h.read("n2", []); // a lagging read before the end
  h.op("broadcast", "ok", 2, "n1");
  h.nemesis("stop-partition");
  h.read("n3", [1]); // after the heal: a final read of n3, overtaken by the next one
  for (const n of nodes) h.read(n, [1, 2]);
  assert.equal(checkBroadcast(h.ops, { nodes }).valid, true);
});

test("a nemesis op after a read makes that read not final (inferred)", () => {
  const h = new History();
  h.op("broadcast", "ok", 1, "n1");
  h.read("n3", []);
  h.nemesis("stop-partition");
  for (const n of ["n1", "n2"]) h.read(n, [1]);
  const r = checkBroadcast(h.ops, { nodes });
  assert.equal(r.valid, "unknown", "n3's only read was before the heal");
  assert.deepEqual(r.nodesWithoutFinalRead, ["n3"]);
});

test("marked final reads (final: true, or Maelstrom's final?) are the only final reads", () => {
  for (const mark of [{ final: true }, { "final?": true }]) {
    const h = new History();
    h.op("broadcast", "ok", 1, "n1");
    h.read("n1", []);
    h.read("n2", []);
    h.read("n3", [], mark); // marked: n3's final read lacks 1
    h.read("n1", [1], mark);
    h.read("n2", [1], mark);
    const r = checkBroadcast(h.ops, { nodes });
    assert.equal(r.finalReads, "marked");
    assert.equal(r.valid, false);
    assert.deepEqual(r.validity.lostMessages[0]!.missingOn, ["n3"]);
  }
});

test("stable latency: from the broadcast's invocation to the first of the trailing reads that hold it, on every node", () => {
  const h = new History();
  h.now = 0;
  h.op("broadcast", "ok", 1, "n1"); // invoked at 0 ms
  h.now = 5;
  h.read("n1", [1]); // n1 has it from 5 ms on
  h.now = 8;
  h.read("n2", []); // n2 not yet at 8 ms
  h.now = 10;
  h.read("n2", [1]); // n2 from 10 ms on
  h.now = 12;
  h.read("n1", []); // n1 lost it at 12 ms...
  h.now = 20;
  h.read("n1", [1]); // ...and has it again from 20 ms on
  h.now = 30;
  h.op("broadcast", "ok", 2, "n1"); // invoked at 30 ms, never reaches n2
  h.now = 40;
  h.read("n1", [1, 2]);
  h.read("n2", [1]);
  const r = checkBroadcast(h.ops, { nodes: ["n1", "n2"] });
  assert.equal(r.latency.stable, 1);
  assert.equal(r.latency.p50Ms, 20);
  assert.equal(r.latency.maxMs, 20);
  assert.equal(r.latency.neverStable, 1);
  assert.deepEqual(r.latency.neverStableMessages, [2]);
  assert.equal(r.valid, false);
  assert.match(broadcastChecker.explain(r).join("\n"), /p50 20 ms/);
});

const simArb = (nodes: number): fc.Arbitrary<GrowOnlySim> =>
  fc.record({
    nodes: fc.constant(nodes),
    steps: fc.array(
      fc.oneof(
        fc.record({
          kind: fc.constant("add" as const),
          outcome: fc.constantFrom("ok" as const, "ok" as const, "info" as const, "fail" as const),
          applied: fc.boolean(),
          delays: fc.array(fc.nat({ max: 20 }), { minLength: nodes, maxLength: nodes }),
        }),
        fc.record({ kind: fc.constant("read" as const), node: fc.nat({ max: nodes - 1 }) }),
      ),
      { maxLength: 80 },
    ),
  });

test("property: a simulated correct broadcast is valid; dropping one acknowledged message from one node's final read is caught", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(simArb(n), fc.nat(), fc.nat())),
      ([sim, pickMessage, pickNode]) => {
        const { history, nodes } = simulateGrowOnly(sim, "broadcast");
        const r = checkBroadcast(history, { nodes });
        assert.equal(r.valid, true, r.reason);
        assert.equal(r.latency.neverStable, 0);

        const acked = history.filter((op) => op.f === "broadcast" && op.type === "ok");
        if (acked.length === 0) return;
        const message = acked[pickMessage % acked.length]!.value;
        const node = nodes[pickNode % nodes.length]!;
        // The node's last read is its final state: drop the message from it.
        const last = lastRead(history, node);
        last.value = (last.value as number[]).filter((m) => m !== message);
        const broken = checkBroadcast(history, { nodes });
        assert.equal(broken.valid, false);
        assert.ok(
          broken.validity.lostMessages.some(
            (l) => l.message === message && l.missingOn.includes(node),
          ),
          JSON.stringify(broken.validity),
        );
      },
    ),
    { numRuns: 300 },
  );
});
