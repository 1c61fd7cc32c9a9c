// The nemesis executor against a fake cluster: faults applied in schedule order, recorded as
// nemesis ops, the leader resolved through the target, and everything healed at the end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fakeCluster as sharedFakeCluster, memoryRecorder } from "../harness/fakes.ts";
import { RunClock } from "../../core/clock.ts";
import { Nemesis } from "../../nemesis/nemesis.ts";
import {
  FAULT_KINDS,
  parseFaultKinds,
  planSchedule,
  type NemesisEvent,
  type PlannedFault,
} from "../../nemesis/schedule.ts";
import { UserError } from "../../core/errors.ts";

/** The shared fake cluster with five nodes, logging every call into `calls`. */
const fakeCluster = (calls: string[]) => sharedFakeCluster(5, calls);

test("parseFaultKinds accepts any combination and rejects unknown names", () => {
  assert.deepEqual(parseFaultKinds("partition,kill,pause,clock,loss,send-omission"), [
    "partition",
    "kill",
    "pause",
    "clock",
    "loss",
    "send-omission",
  ]);
  assert.deepEqual(parseFaultKinds("none"), []);
  assert.throws(() => parseFaultKinds("partition,meteor"), UserError);
});

test("a schedule is carried out, recorded, and the leader is the one the target names", async () => {
  const calls: string[] = [];
  const rec = memoryRecorder();
  const nodes = ["n1", "n2", "n3", "n4", "n5"];
  const schedule = planSchedule({
    seed: 5,
    kinds: ["partition", "kill", "pause"],
    nodes,
    intervalSeconds: 0.01,
    timeLimitSeconds: 0.2,
  });
  const nemesis = new Nemesis(
    fakeCluster(calls),
    { leader: async () => "n4" },
    rec,
    new RunClock(),
  );
  await nemesis.run(schedule, new AbortController().signal);
  const nem = rec.ops.filter((o) => o.process === "nemesis");
  assert.equal(
    nem.length,
    schedule.length * 2,
    "each start and stop recorded as invoke + completion",
  );
  assert.deepEqual(
    nem.slice(0, 4).map((o) => `${o.type} ${o.f}`),
    [
      "invoke start-partition",
      "info start-partition",
      "invoke stop-partition",
      "info stop-partition",
    ],
  );
  // The first partition isolates a follower, the second the leader the target reported.
  const grudges = nem
    .filter((o) => o.f === "start-partition" && o.type === "invoke")
    .map((o) => (o.detail as { grudge: Record<string, string[]> }).grudge);
  assert.notEqual(grudges[0]!.n4!.length, 4, "isolate-one spares the leader");
  assert.equal(
    Object.values(grudges[0]!).filter((d) => d.length === 4).length,
    1,
    "one node isolated",
  );
  assert.deepEqual(grudges[1]!.n4, ["n1", "n2", "n3", "n5"]);
  assert.ok(calls.includes("kill n1") || calls.some((c) => c.startsWith("kill")));
  assert.equal(
    calls.filter((c) => c.startsWith("kill")).length,
    calls.filter((c) => c.startsWith("start")).length,
  );
  assert.deepEqual(nemesis.activeFaults(), []);
});

test("an interrupted schedule leaves faults that healAll undoes, recorded", async () => {
  const calls: string[] = [];
  const rec = memoryRecorder();
  const events: NemesisEvent[] = [
    {
      atMs: 0,
      action: "start",
      faultId: 0,
      fault: { kind: "pause", who: "minority", nodes: ["n1", "n2"] },
    },
    {
      atMs: 60_000,
      action: "stop",
      faultId: 0,
      fault: { kind: "pause", who: "minority", nodes: ["n1", "n2"] },
    },
  ];
  const nemesis = new Nemesis(fakeCluster(calls), {}, rec, new RunClock());
  const stop = new AbortController();
  const running = nemesis.run(events, stop.signal);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    nemesis.activeFaults().map((f) => f.label),
    ["pause n1,n2"],
  );
  stop.abort();
  await running;
  await nemesis.healAll();
  assert.deepEqual(calls, ["pause n1", "pause n2", "resume n1", "resume n2", "healNetwork"]);
  assert.deepEqual(
    rec.ops.map((o) => `${o.type} ${o.f} ${JSON.stringify(o.value)}`),
    [
      'invoke pause ["n1","n2"]',
      'info pause ["n1","n2"]',
      'invoke resume ["n1","n2"]',
      'info resume ["n1","n2"]',
    ],
  );
});

test("a fault that fails to apply is recorded with its error and still healed", async () => {
  const calls: string[] = [];
  const cluster = fakeCluster(calls);
  cluster.kill = async () => {
    throw new Error("container gone");
  };
  const rec = memoryRecorder();
  const nemesis = new Nemesis(cluster, {}, rec, new RunClock());
  const fault: PlannedFault = { kind: "kill", who: "one", nodes: ["n2"] };
  await nemesis.run(
    [{ atMs: 0, action: "start", faultId: 1, fault }],
    new AbortController().signal,
  );
  assert.equal(rec.ops[1]!.error, "container gone");
  await nemesis.healAll();
  assert.ok(calls.includes("start n2"));
});

/** The kill rotation on five nodes, squeezed into a second: its events, starts and stops. */
function killRotation(): NemesisEvent[] {
  return planSchedule({
    seed: 1,
    kinds: ["kill"],
    nodes: ["n1", "n2", "n3", "n4", "n5"],
    intervalSeconds: 0.01,
    timeLimitSeconds: 1,
  });
}

/** A 5-node schedule of one staggered kill (its start and stop), with its waits cut to 10 ms. */
function staggeredKill() {
  const [start, stop] = killRotation();
  assert.ok(start!.fault.kind === "kill" && start!.fault.freeze, "the first kill is staggered");
  start!.fault.freeze.resumeAfterMs = 10;
  start!.fault.freeze.handoverMs = 10;
  return [start!, stop!] as const;
}

test("a staggered kill freezes the survivors, restarts the killed nodes first, then resumes them", async () => {
  const calls: string[] = [];
  const rec = memoryRecorder();
  const [start, stop] = staggeredKill();
  assert.equal(start!.fault.kind === "kill" && start!.fault.who, "leader-majority");
  const nemesis = new Nemesis(
    fakeCluster(calls),
    { leader: async () => "n5" },
    rec,
    new RunClock(),
  );
  await nemesis.run([start!, stop!], new AbortController().signal);
  const killed = calls.filter((c) => c.startsWith("kill")).map((c) => c.split(" ")[1]);
  const firstKill = calls.findIndex((c) => c.startsWith("kill"));
  const paused = calls
    .slice(0, firstKill)
    .filter((c) => c.startsWith("pause"))
    .map((c) => c.split(" ")[1]);
  assert.equal(killed.length, 3);
  assert.ok(killed.includes("n5"), "the leader is among the killed");
  assert.deepEqual([...killed, ...paused].sort(), ["n1", "n2", "n3", "n4", "n5"]);
  const lastStart = Math.max(...calls.map((c, i) => (c.startsWith("start") ? i : -1)));
  const survivorResumed = (c: string) => paused.some((n) => c === `resume ${n}`);
  const firstResume = calls.findIndex(survivorResumed);
  assert.ok(lastStart < firstResume, "killed nodes restart before the survivors resume");
  // Restarted together: each frozen once up, all resumed at once after the last start.
  for (const n of killed) {
    const started = calls.indexOf(`start ${n}`);
    assert.ok(calls.indexOf(`pause ${n}`, started) > started, `${n} frozen after its start`);
    const resumed = calls.indexOf(`resume ${n}`, started);
    assert.ok(resumed > lastStart && resumed < firstResume, calls.join(" | "));
  }
  // The handover: the restarted leader (n5, who the fake says leads) is frozen before the
  // survivors resume and let go after them.
  const heldBack = calls.lastIndexOf("pause n5");
  assert.ok(heldBack > lastStart && heldBack < firstResume, calls.join(" | "));
  const after = calls.slice(heldBack).filter((c) => c.startsWith("resume"));
  assert.deepEqual(
    after.map((c) => c.split(" ")[1]),
    [...paused.sort(), "n5"],
    calls.join(" | "),
  );
});

test("a staggered kill's survivors resume only once a restarted node leads", async () => {
  const calls: string[] = [];
  const rec = memoryRecorder();
  const [start, stop] = staggeredKill();
  // Who leads: the leader about to be killed, then nobody while the killed nodes restart, then
  // a frozen survivor (a stale answer), and only then a restarted node.
  let asked = 0;
  let killed: string[] = [];
  let survivor = "";
  const leader = async () => {
    asked++;
    calls.push(`leader? ${asked}`);
    if (asked === 1) return "n5";
    if (asked <= 3) return undefined;
    if (asked === 4) return survivor;
    return killed[0];
  };
  const nemesis = new Nemesis(fakeCluster(calls), { leader }, rec, new RunClock());
  const run = nemesis.run([start!], new AbortController().signal);
  await run;
  killed = calls.filter((c) => c.startsWith("kill")).map((c) => c.split(" ")[1]!);
  survivor = calls.find((c) => c.startsWith("pause"))!.split(" ")[1]!;
  await nemesis.run([stop!], new AbortController().signal);
  const firstResume = calls.findIndex((c) => c === `resume ${survivor}`);
  const restartedLeads = calls.indexOf("leader? 5");
  assert.ok(restartedLeads > 0 && restartedLeads < firstResume, calls.join(" | "));
  const healed = rec.ops.filter((o) => o.process === "nemesis" && o.f === "start");
  assert.deepEqual(healed.at(-1)?.detail, { restartedLeader: killed[0], heldBackMs: 10 });
});

test("after a staggered kill, the next fault waits a quiet interval past the survivors' resume", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const s = planSchedule({
      seed,
      kinds: ["kill", "partition"],
      nodes: ["n1", "n2", "n3", "n4", "n5"],
      intervalSeconds: 5,
      timeLimitSeconds: 60,
    });
    const kill = s.find((e) => e.action === "stop" && e.fault.kind === "kill")!;
    assert.ok(kill.fault.kind === "kill" && kill.fault.freeze, "the first kill is staggered");
    const resumeAtMs = kill.atMs + kill.fault.freeze.resumeAfterMs;
    const next = s.find((e) => e.action === "start" && e.atMs > kill.atMs)!;
    assert.ok(next.atMs >= resumeAtMs + 0.8 * 5000, `seed ${seed}: ${next.atMs} vs ${resumeAtMs}`);
    assert.ok(s.at(-1)!.atMs <= 60_000);
  }
});

test("an isolated node returns while the leader is cut off, then the leader returns", async () => {
  const calls: string[] = [];
  const rec = memoryRecorder();
  const [start, stop] = planSchedule({
    seed: 1,
    kinds: ["partition"],
    nodes: ["n1", "n2", "n3", "n4", "n5"],
    intervalSeconds: 0.01,
    timeLimitSeconds: 1,
  });
  assert.ok(start!.fault.kind === "partition" && start!.fault.shape === "isolate-one");
  const isolated = start!.fault.leaderFallback!;
  const leader = isolated === "n4" ? "n5" : "n4";
  const nemesis = new Nemesis(
    fakeCluster(calls),
    { leader: async () => leader },
    rec,
    new RunClock(),
  );
  await nemesis.run([start!, stop!], new AbortController().signal);
  const cutOff = calls
    .filter((c) => c.startsWith("partition "))
    .map((c) => JSON.parse(c.slice("partition ".length)) as Record<string, string[]>)
    .map((g) => Object.keys(g).find((n) => g[n]!.length === 4));
  assert.deepEqual(cutOff, [isolated, leader], "first the follower is cut off, then the leader");
  assert.equal(calls.at(-1), "healNetwork", "then all healed");
  const healed = rec.ops.filter((o) => o.f === "stop-partition" && o.type === "info");
  assert.deepEqual(healed[0]!.detail, { isolatedLeaderFirst: leader });
});

test("every fault kind of the registry plans, applies, heals, and is healed by healAll", async () => {
  const nodes = ["n1", "n2", "n3", "n4", "n5"];
  for (const kind of FAULT_KINDS) {
    const calls: string[] = [];
    const rec = memoryRecorder();
    const [start, stop] = planSchedule({
      seed: 3,
      kinds: [kind],
      nodes,
      intervalSeconds: 0.01,
      timeLimitSeconds: 1,
    });
    assert.ok(start && stop, `${kind}: a fault was planned`);
    assert.equal(start.fault.kind, kind);
    const nemesis = new Nemesis(
      fakeCluster(calls),
      {
        leader: async () => "n3",
        // The message faults (delay, byzantine, ...) ask the node hosts, not the runtime.
        messageRules: async (_c, node, rules) => {
          calls.push(`messageRules ${node} ${JSON.stringify(rules)}`);
        },
      },
      rec,
      new RunClock(),
    );
    await nemesis.run([start], new AbortController().signal);
    const applied = calls.length;
    assert.ok(applied > 0, `${kind}: applying it asked the cluster for something`);
    assert.equal(nemesis.activeFaults().length, 1, `${kind}: active until healed`);
    await nemesis.healAll();
    assert.equal(nemesis.activeFaults().length, 0, `${kind}: healAll healed it`);
    assert.ok(calls.length > applied, `${kind}: healing asked the cluster for something`);
    const f = rec.ops.filter((o) => o.process === "nemesis").map((o) => `${o.type} ${o.f}`);
    assert.equal(f.length, 4, `${kind}: start and stop recorded: ${f.join(", ")}`);
  }
});

test("send and receive omission cut the right direction, aimed at the leader first", async () => {
  for (const [kind, primitive] of [
    ["send-omission", "dropOutgoing"],
    ["receive-omission", "dropIncoming"],
  ] as const) {
    const calls: string[] = [];
    const [start] = planSchedule({
      seed: 9,
      kinds: [kind],
      nodes: ["n1", "n2", "n3"],
      intervalSeconds: 0.01,
      timeLimitSeconds: 1,
    });
    const nemesis = new Nemesis(
      sharedFakeCluster(3, calls),
      { leader: async () => "n2" },
      memoryRecorder(),
      new RunClock(),
    );
    await nemesis.run([start!], new AbortController().signal);
    assert.deepEqual(calls, [`${primitive} n2`]);
    await nemesis.healAll();
    assert.ok(calls.includes("healNetwork"));
  }
});

test("a staggered kill does not hand over from a fixed leader (a coordinator is not elected)", async () => {
  const calls: string[] = [];
  const rec = memoryRecorder();
  const [start, stop] = staggeredKill();
  const target = { leader: async () => "n5", fixedLeader: true };
  const nemesis = new Nemesis(fakeCluster(calls), target, rec, new RunClock());
  await nemesis.run([start!, stop!], new AbortController().signal);
  // n5 is frozen once, right after its start (the restart together), and never again.
  assert.equal(calls.filter((c) => c === "pause n5").length, 1, calls.join(" | "));
  const healed = rec.ops.filter((o) => o.process === "nemesis" && o.f === "start");
  assert.deepEqual(healed.at(-1)?.detail, { restartedLeader: "n5" });
});

test("a leader kill of a fixed coordinator is a crash loop until it stops; an elected leader is killed once", async () => {
  const [start, stop] = killRotation().filter(
    (e) => e.fault.kind === "kill" && e.fault.who === "leader",
  );
  assert.ok(start && stop, "the rotation has a leader kill");
  for (const fixedLeader of [true, false]) {
    const calls: string[] = [];
    const rec = memoryRecorder();
    const target = { leader: async () => "n1", fixedLeader };
    const nemesis = new Nemesis(fakeCluster(calls), target, rec, new RunClock());
    await nemesis.run([{ ...start, atMs: 0 }], new AbortController().signal);
    const applied = rec.ops.find((o) => o.type === "invoke" && o.f === "kill")!
      .fault as PlannedFault;
    assert.equal(applied.kind === "kill" && applied.crashLoop !== undefined, fixedLeader);
    if (applied.kind === "kill" && applied.crashLoop) {
      // Short phases for the test (the loop reads them from the fault as applied).
      applied.crashLoop.downMs = 20;
      applied.crashLoop.upMs = 20;
    }
    await new Promise((r) => setTimeout(r, fixedLeader ? 1500 : 50));
    await nemesis.healAll();
    const kills = calls.filter((c) => c === "kill n1").length;
    assert.equal(calls.at(-2), "start n1", calls.join(" | ")); // healed: up, then the network
    if (!fixedLeader) {
      assert.equal(kills, 1);
      continue;
    }
    assert.ok(kills >= 2, `killed ${kills} times: ${calls.join(" | ")}`);
    const healed = rec.ops.filter((o) => o.f === "start" && o.type === "info").at(-1);
    assert.deepEqual(healed?.detail, { crashes: kills });
  }
});
