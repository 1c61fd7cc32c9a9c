// The message faults (delay, duplicate, reorder, byzantine) against a fake cluster and target:
// what rules they set on which hosts, how a byzantine window is recorded (the contract the
// agreement and pbft checkers read: docs/faults.md), and which runs are refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fakeCluster, fakeTarget, memoryRecorder } from "../harness/fakes.ts";
import { RunClock } from "../../core/clock.ts";
import { UserError } from "../../core/errors.ts";
import { Nemesis } from "../../nemesis/nemesis.ts";
import { planSchedule } from "../../nemesis/schedule.ts";
import { BEHAVIOURS, pickTraitors, type PlannedByzantine } from "../../nemesis/faults/byzantine.ts";
import { traitorCount } from "../../harness/run/byzantine.ts";
import { checkCompatible } from "../../harness/run/orchestrate.ts";
import type { MessageRule } from "../../targets/types.ts";
import type { RunSpec } from "../../harness/run/spec.ts";

const NODES = ["n1", "n2", "n3", "n4"];

/** A target whose hosts take message rules: every call logged as "node json". */
function ruleTarget(calls: string[]) {
  return {
    messageRules: async (_c: unknown, node: string, rules: MessageRule[]) => {
      calls.push(`${node} ${JSON.stringify(rules)}`);
    },
  };
}

test("delay, duplicate and reorder set one rule on their nodes and clear it when they stop", async () => {
  const calls: string[] = [];
  const rec = memoryRecorder();
  const schedule = planSchedule({
    seed: 11,
    kinds: ["delay", "duplicate", "reorder"],
    nodes: NODES,
    intervalSeconds: 0.01,
    timeLimitSeconds: 0.12,
  });
  assert.ok(schedule.length >= 6, "every kind planned");
  const nemesis = new Nemesis(fakeCluster(4), ruleTarget(calls), rec, new RunClock());
  await nemesis.run(schedule, new AbortController().signal);
  const starts = rec.ops.filter((o) => o.type === "info" && o.f.startsWith("start-"));
  assert.deepEqual(
    starts.slice(0, 3).map((o) => o.f),
    ["start-delay", "start-duplicate", "start-reorder"],
  );
  assert.ok(
    starts.every((o) => o.error === undefined),
    "applied without error",
  );
  const first = starts[0]!;
  const victims = first.value as string[];
  for (const v of victims) assert.ok(calls.some((c) => c.startsWith(`${v} [{"action":"delay"`)));
  // Every node a fault touched ends with an empty rule list.
  const last = new Map<string, string>();
  for (const c of calls) last.set(c.split(" ")[0]!, c.split(" ")[1]!);
  for (const rules of last.values()) assert.equal(rules, "[]");
  assert.equal(calls.filter((c) => c.endsWith(" []")).length, calls.length / 2);
});

test("byzantine: k traitors fixed for the run, one behaviour each per window, recorded as the contract says", async () => {
  const calls: string[] = [];
  const rec = memoryRecorder();
  const schedule = planSchedule({
    seed: 3,
    kinds: ["byzantine"],
    nodes: ["n1", "n2", "n3", "n4", "n5", "n6", "n7"],
    intervalSeconds: 0.01,
    timeLimitSeconds: 0.3,
    traitors: 2,
  });
  const windows = schedule
    .filter((e) => e.action === "start")
    .map((e) => e.fault as PlannedByzantine);
  assert.ok(windows.length >= 5);
  for (const w of windows) {
    assert.equal(Object.keys(w.behaviours).length, 2, "k = 2 traitors");
    for (const b of Object.values(w.behaviours)) assert.ok(BEHAVIOURS.includes(b));
  }
  const seen = new Set(windows.flatMap((w) => Object.values(w.behaviours)));
  assert.ok(seen.size >= 3, `behaviours vary by window: ${[...seen]}`);
  assert.equal(
    new Set(windows.map((w) => Object.keys(w.behaviours).join())).size,
    1,
    "the same traitors in every window of the run",
  );
  const placements = new Set<string>();
  for (let seed = 0; seed < 20; seed++)
    placements.add(pickTraitors(seed, ["n1", "n2", "n3", "n4", "n5", "n6", "n7"], 2).join());
  assert.ok(placements.size > 8, `other seeds, other traitors: ${[...placements]}`);

  await new Nemesis(fakeCluster(7), ruleTarget(calls), rec, new RunClock()).run(
    schedule,
    new AbortController().signal,
  );
  const nem = rec.ops.filter((o) => o.process === "nemesis");
  const [invoke, start, stopInvoke, stop] = nem;
  const traitors = Object.keys(windows[0]!.behaviours);
  assert.deepEqual(
    { type: invoke!.type, f: invoke!.f, value: invoke!.value },
    { type: "invoke", f: "start-byzantine", value: traitors },
  );
  assert.deepEqual(
    { type: start!.type, f: start!.f, value: start!.value, detail: start!.detail },
    {
      type: "info",
      f: "start-byzantine",
      value: traitors,
      detail: { behaviours: windows[0]!.behaviours },
    },
  );
  assert.deepEqual(
    [stopInvoke!.f, stop!.type, stop!.f, stop!.value],
    ["stop-byzantine", "info", "stop-byzantine", traitors],
  );
  // Each traitor's host got exactly its behaviour, then nothing.
  for (const t of traitors) {
    const mine = calls.filter((c) => c.startsWith(`${t} `)).slice(0, 2);
    assert.match(mine[0]!, new RegExp(`"action":"${windows[0]!.behaviours[t]}"`));
    assert.equal(mine[1], `${t} []`);
  }
});

const spec = (over: Partial<RunSpec>): RunSpec =>
  ({ target: "x", nodes: 4, workload: "lin-kv", nemesis: ["byzantine"], ...over }) as RunSpec;

test("--byzantine defaults to the target's tolerance and is checked", () => {
  const tolerant = { name: "ba", byzantine: { tolerance: (n: number) => Math.floor((n - 1) / 3) } };
  assert.equal(traitorCount(spec({}), tolerant), 1);
  assert.equal(traitorCount(spec({ nodes: 7 }), tolerant), 2);
  assert.equal(
    traitorCount(spec({ nodes: 3, byzantine: 1 }), tolerant),
    1,
    "n = 3k given explicitly",
  );
  assert.throws(
    () => traitorCount(spec({ nodes: 3 }), tolerant),
    /tolerates no traitors with 3 nodes/,
  );
  assert.throws(() => traitorCount(spec({}), { name: "raft" }), /declares no Byzantine tolerance/);
  assert.equal(traitorCount(spec({ byzantine: 1 }), { name: "raft" }), 1, "allowed when explicit");
  assert.throws(() => traitorCount(spec({ byzantine: 4 }), tolerant), /from 1 to 3/);
  assert.throws(() => traitorCount(spec({ nemesis: ["kill"], byzantine: 1 }), tolerant), UserError);
  assert.equal(traitorCount(spec({ nemesis: ["kill"] }), tolerant), undefined);
});

test("message faults are refused for a target whose nodes are not under the node host", () => {
  const target = fakeTarget();
  assert.throws(
    () => checkCompatible(spec({ nemesis: ["partition", "delay"] }), target, "lin-kv"),
    /cannot take message faults \(--nemesis delay\)/,
  );
  const hosted = { ...target, messageRules: async () => {} };
  checkCompatible(spec({ nemesis: ["delay", "duplicate", "reorder"] }), hosted, "lin-kv");
});

test("the report names each traitor's behaviour and draws a bar per traitor", async () => {
  const { faultSpans } = await import("../../harness/report/faults.ts");
  const op = (index: number, time: number, type: "invoke" | "info", f: string, extra = {}) => ({
    index,
    time,
    process: "nemesis" as const,
    type,
    f,
    value: ["n2", "n4"],
    ...extra,
  });
  const detail = { behaviours: { n2: "equivocate", n4: "silent" } };
  const [span] = faultSpans([
    op(0, 1e9, "invoke", "start-byzantine", { detail }),
    op(1, 1.1e9, "info", "start-byzantine", { detail }),
    op(2, 3e9, "invoke", "stop-byzantine"),
    op(3, 3.1e9, "info", "stop-byzantine"),
  ]);
  assert.equal(span!.kind, "byzantine");
  assert.equal(span!.applied, "traitors: n2 equivocate, n4 silent");
  assert.deepEqual(
    span!.spans.map((s) => `${s.node} ${s.what}`),
    ["n2 traitor: equivocate", "n4 traitor: silent"],
  );
});

test("the replay command repeats the traitor count the run resolved", async () => {
  const { replayCommand } = await import("../../harness/report/replay.ts");
  const cmd = replayCommand({
    target: "ba",
    nodes: 4,
    nemesis: ["byzantine"],
    byzantine: 1,
    seed: 3,
  });
  assert.match(cmd!, /--nemesis byzantine --byzantine 1 /);
});
