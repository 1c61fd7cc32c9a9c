// Recording a run's faults as applied and applying them again (faultline replay, shrink):
// the nemesis records each fault with the nodes it hit, a recorded schedule pins them, and a
// replay hits the same nodes whoever leads then. Fake cluster, no Docker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fakeCluster, memoryRecorder } from "../harness/fakes.ts";
import { RunClock } from "../../core/clock.ts";
import { UserError } from "../../core/errors.ts";
import type { Op } from "../../histories/op.ts";
import { Nemesis } from "../../nemesis/nemesis.ts";
import { FAULT_KINDS, planSchedule, type NemesisEvent } from "../../nemesis/schedule.ts";
import {
  describeSchedule,
  recordedSchedule,
  replayEvents,
  type RecordedFault,
} from "../../nemesis/recorded.ts";
import { cutTimeLimit, describeCandidate } from "../../harness/shrink/candidate.ts";

const NODES = ["n1", "n2", "n3", "n4", "n5"];

/** Carry out `events` against a fake 5-node cluster; the target names `leader` (or none). */
async function carryOut(events: readonly NemesisEvent[], leader?: string) {
  const calls: string[] = [];
  const rec = memoryRecorder();
  // The cluster calls made while each fault was applied: between its start's invoke and info.
  const applying: string[][] = [];
  let from: number | undefined;
  const recorder = {
    append: (op: Omit<Op, "index">) => {
      // The nemesis does one thing at a time: a start's info follows its invoke.
      if (op.faultId !== undefined) from = calls.length;
      else if (from !== undefined)
        [applying[applying.length], from] = [calls.slice(from), undefined];
      return rec.append(op);
    },
  };
  const target = leader ? { leader: async () => leader } : {};
  const nemesis = new Nemesis(fakeCluster(5, calls), target, recorder, new RunClock());
  await nemesis.run(events, new AbortController().signal);
  await nemesis.healAll();
  return { ops: rec.ops, calls, applying };
}

/** What each fault's start looked like in a history: f, the nodes hit, detail, the fault. */
const starts = (ops: Op[]) =>
  ops
    .filter((o) => o.process === "nemesis" && o.type === "invoke" && o.faultId !== undefined)
    .map((o) => ({ f: o.f, faultId: o.faultId, value: o.value, detail: o.detail, fault: o.fault }));

/** Every registered kind at least twice (new kinds are covered as they are registered). */
function everyKindSchedule(): NemesisEvent[] {
  return planSchedule({
    seed: 9,
    kinds: FAULT_KINDS,
    nodes: NODES,
    intervalSeconds: 0.01,
    timeLimitSeconds: 0.05 * FAULT_KINDS.length,
  });
}

test("a replay applies every kind of fault to the nodes the run recorded, not to whoever leads now", async () => {
  const planned = everyKindSchedule();
  const first = await carryOut(planned, "n4");
  const recorded = recordedSchedule(planned, first.ops);
  const kinds = new Set(recorded.map((f) => f.kind));
  for (const kind of FAULT_KINDS) assert.ok(kinds.has(kind), `${kind} in the schedule`);
  assert.ok(
    recorded.every((f) => f.recorded),
    "every fault recorded as applied",
  );
  // The run aimed at the leader, n4: recorded so.
  const pause = recorded.find(
    (f) => f.kind === "pause" && (f.detail as { who: string }).who === "leader",
  );
  assert.deepEqual(pause?.nodes, ["n4"]);

  // Replayed where no leader can be told (or another leads): the same nodes, the same faults.
  const replay = await carryOut(replayEvents(recorded));
  assert.deepEqual(starts(replay.ops), starts(first.ops));
  // Applied alike, call for call (heals may differ: a handover isolates whoever leads then).
  assert.equal(replay.applying.length, recorded.length);
  assert.deepEqual(replay.applying, first.applying);
  // The same seed's plan alone would have hit other nodes: pinning is what keeps them.
  const rerun = await carryOut(planned);
  assert.notDeepEqual(starts(rerun.ops), starts(first.ops));
  assert.deepEqual(
    replayEvents(recorded).map((e) => `${e.atMs} ${e.action} ${e.faultId}`),
    planned.map((e) => `${e.atMs} ${e.action} ${e.faultId}`),
    "the same times, in the same order",
  );
});

test("a fault the run never reached keeps its plan and is aimed at run time; old runs likewise", async () => {
  const planned = planSchedule({
    seed: 3,
    kinds: ["pause", "kill"],
    nodes: NODES,
    intervalSeconds: 1,
    timeLimitSeconds: 10,
  });
  const first = await carryOut(planned.slice(0, 2), "n2"); // stopped after the first fault
  const recorded = recordedSchedule(planned, first.ops);
  assert.deepEqual(
    recorded.map((f) => f.recorded),
    recorded.map((_, i) => i === 0),
  );
  assert.deepEqual(recorded[0]!.nodes, ["n2"], "the leader when it started");
  const events = replayEvents(recorded);
  assert.deepEqual(
    events.filter((e) => e.pinned).map((e) => e.faultId),
    [0, 0],
  );
  assert.equal(recorded[1]!.fault, planned.find((e) => e.faultId === 1)!.fault, "the plan");
  // A history recorded before faults carried their id: nothing pinned, the plan is replayed.
  const old = first.ops.map(({ faultId: _id, fault: _fault, ...op }) => op as Op);
  assert.ok(recordedSchedule(planned, old).every((f) => !f.recorded));
});

test("recordedSchedule: start and stop times from the plan; unknown fault kinds are refused", () => {
  const fault = { kind: "pause" as const, who: "one" as const, nodes: ["n3"] };
  const planned: NemesisEvent[] = [
    { atMs: 1000, action: "start", faultId: 7, fault },
    { atMs: 4500, action: "stop", faultId: 7, fault },
  ];
  const [f] = recordedSchedule(planned, []);
  assert.deepEqual([f!.startMs, f!.stopMs, f!.nodes, f!.recorded], [1000, 4500, ["n3"], false]);
  assert.deepEqual(describeSchedule([f!]), [
    "1.0-4.5 s  pause n3  (planned; re-aimed at run time)",
  ]);
  const meteor = { ...planned[0]!, fault: { kind: "meteor" } as never };
  assert.throws(() => recordedSchedule([meteor], []), UserError);
});

test("a shrink candidate's time limit ends a margin after its last fault is healed", () => {
  const [a, b] = recordedSchedule(
    planSchedule({
      seed: 1,
      kinds: ["kill", "pause"],
      nodes: NODES,
      intervalSeconds: 5,
      timeLimitSeconds: 60,
    }),
    [],
  ) as [RecordedFault, RecordedFault];
  assert.equal(cutTimeLimit([], 5), 5, "no faults: the margin alone");
  // The first kill is staggered: its heal goes on after its stop (restart, resume, handover).
  assert.equal(a.kind, "kill");
  assert.ok(cutTimeLimit([a], 5) * 1000 >= a.stopMs + 5000 + 2000);
  assert.equal(cutTimeLimit([a, b], 0), Math.ceil(b.stopMs / 1000));
  assert.equal(
    describeCandidate({ faults: [a], timeLimitSeconds: 14, concurrency: 1, keys: 2 }),
    "1 fault, 14 s, 1 client, 2 keys",
  );
});
