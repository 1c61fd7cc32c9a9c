// The replica-agreement checker on hand-made histories: executed logs that are prefixes of one
// another pass, the first sequence number two nonfaulty replicas executed differently is
// named, traitors (the byzantine nemesis's windows) are not judged. Also the lin-kv workload's
// final phase that collects the logs, and the traitor windows themselves.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  checkReplicaAgreement,
  replicaAgreementChecker,
} from "../../checkers/replica-agreement/index.ts";
import { faultyDuring, traitorWindows } from "../../checkers/byzantine/traitors.ts";
import { checkLinearizable } from "../../checkers/linearizable/index.ts";
import { linearizableChecker } from "../../checkers/linearizable/checker.ts";
import { getWorkload } from "../../harness/workloads/index.ts";
import { Rng } from "../../core/rng.ts";
import type { Op } from "../../histories/op.ts";

type Step = Omit<Op, "index" | "time">;

/** A history from steps, one millisecond apart. */
function history(steps: Step[]): Op[] {
  return steps.map((s, i) => ({ ...s, index: i, time: i * 1e6 }) as Op);
}

/** A write and its completion, then each node's executed log as the final phase asks it. */
function withLogs(logs: Record<string, string[] | "no answer">, nemesis: Step[] = []): Op[] {
  const steps: Step[] = [
    { process: 0, type: "invoke", f: "write", key: "k", value: 1 },
    ...nemesis,
    { process: 0, type: "ok", f: "write", key: "k", value: 1 },
  ];
  let process = 1;
  for (const [node, log] of Object.entries(logs)) {
    steps.push({ process, type: "invoke", f: "executed-log", node, value: null });
    steps.push(
      log === "no answer"
        ? { process, type: "info", f: "executed-log", node, value: null, error: "timeout" }
        : { process, type: "ok", f: "executed-log", node, value: log },
    );
    process++;
  }
  return history(steps);
}

const A = "n1:x:1 write k 1";
const B = "n2:x:1 write k 2";
const C = "n3:x:1 read k";

test("logs that are prefixes of one log agree (a replica behind is no violation)", () => {
  const r = checkReplicaAgreement(withLogs({ n1: [A, B, C], n2: [A, B], n3: [A, B, C], n4: [] }));
  assert.equal(r.valid, true, r.reason);
  assert.deepEqual(r.lengths, { n1: 3, n2: 2, n3: 3, n4: 0 });
  assert.match(r.reason!, /4 nonfaulty replicas .* one log of 3 sequence numbers/);
});

test("the first sequence number where two nonfaulty replicas differ is named, with what each executed", () => {
  const r = checkReplicaAgreement(withLogs({ n1: [A, B, C], n2: [A, C], n3: [A, "null", B] }));
  assert.equal(r.valid, false);
  assert.equal(r.divergence?.seq, 2);
  assert.deepEqual(r.divergence?.executed, { n1: B, n2: C, n3: "null" });
  const lines = replicaAgreementChecker.explain(r);
  assert.match(
    lines[0]!,
    /sequence number 2: n1 executed n2:x:1 write k 2, n2 executed n3:x:1 read k/,
  );
  assert.ok(lines.some((l) => l.includes("seq 2 at n3: null")));
});

test("a traitor at any moment of the run is not judged; a traitor window outside it does not count", () => {
  const byz: Step[] = [
    { process: "nemesis", type: "invoke", f: "start-byzantine", value: ["n3"] },
    {
      process: "nemesis",
      type: "info",
      f: "start-byzantine",
      value: ["n3"],
      detail: { behaviours: { n3: "equivocate" } },
    },
    { process: "nemesis", type: "invoke", f: "stop-byzantine", value: ["n3"] },
    { process: "nemesis", type: "info", f: "stop-byzantine", value: ["n3"] },
  ];
  const r = checkReplicaAgreement(withLogs({ n1: [A, B], n2: [A, B], n3: [B, A] }, byz));
  assert.equal(r.valid, true, r.reason);
  assert.deepEqual(r.faulty, ["n3"]);
  assert.ok(
    replicaAgreementChecker
      .explain(r)
      .some((l) => l.includes("not judged (traitors during the run): n3")),
  );
  // The same divergence with n3 a traitor only after every client op completed: judged.
  const late = history([...withLogs({ n1: [A, B], n2: [A, B], n3: [B, A] }), ...byz] as Step[]);
  const r2 = checkReplicaAgreement(late);
  assert.equal(r2.valid, false);
  assert.equal(r2.divergence?.seq, 1);
});

test("fewer than two nonfaulty logs is unknown, and logs never answered are named", () => {
  const r = checkReplicaAgreement(withLogs({ n1: [A], n2: "no answer", n3: "no answer" }));
  assert.equal(r.valid, "unknown");
  assert.deepEqual(r.missing, ["n2", "n3"]);
  assert.equal(checkReplicaAgreement(withLogs({})).valid, "unknown");
});

test("traitor windows: from the invoke of start-byzantine to the info of stop-byzantine, or the end", () => {
  const h = history([
    { process: 0, type: "invoke", f: "read", key: "k", value: null },
    { process: "nemesis", type: "invoke", f: "start-byzantine", value: ["n2"] },
    { process: "nemesis", type: "info", f: "start-byzantine", value: ["n2", "n4"] },
    { process: "nemesis", type: "invoke", f: "stop-byzantine", value: ["n2"] },
    { process: "nemesis", type: "info", f: "stop-byzantine", value: ["n2"] },
    { process: 0, type: "ok", f: "read", key: "k", value: null },
    { process: 1, type: "invoke", f: "read", key: "k", value: null },
  ]);
  const w = traitorWindows(h);
  assert.deepEqual(w.get("n2"), [[1e6, 4e6]]);
  assert.deepEqual(w.get("n4"), [[1e6, 6e6]]);
  assert.deepEqual([...faultyDuring(w, 5e6, 6e6)], ["n4"]);
  assert.deepEqual([...faultyDuring(w, 0, 1e6)].sort(), ["n2", "n4"]);
  assert.deepEqual([...faultyDuring(w, 0, 0.5e6)], []);
});

test("lin-kv for a target that tells its executed logs: the final phase asks every node twice, and replica-agreement judges", async () => {
  const w = getWorkload("lin-kv", { nodes: ["n1", "n2"], executedLog: true });
  assert.ok(w.checkers.some((c) => c.checker === "replica-agreement"));
  const gen = w.final();
  const ops = [];
  for (let op; (op = gen.next({ rng: Rng.seeded(1), elapsedMs: 0 }));) ops.push(op);
  const logs = ops.filter((o) => o.f === "executed-log").map((o) => o.node);
  assert.deepEqual(logs, ["n1", "n2", "n1", "n2"]);
  const op = { f: "executed-log", node: "n1" };
  assert.deepEqual(w.messages.request(op), { type: "executed_log" });
  assert.deepEqual(w.messages.complete(op, { type: "executed_log_ok", log: [A] }), {
    type: "ok",
    value: [A],
  });
  // Without the target's say, lin-kv stays as it was.
  const plain = getWorkload("lin-kv", { nodes: ["n1"] });
  assert.ok(!plain.checkers.some((c) => c.checker === "replica-agreement"));
  // The linearizable checker leaves the executed logs out when told to (the kv model would
  // refuse an operation it does not know).
  const h = withLogs({ n1: [A] });
  assert.equal(
    (await linearizableChecker.check(h, { model: "kv", ignore: ["executed-log"] })).valid,
    true,
  );
  await assert.rejects(checkLinearizable(h, { model: "kv" }));
});
