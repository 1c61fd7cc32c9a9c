// Multi-Paxos's rules [P1]-[P9] checked on a deterministic simulated network (no Docker): the
// real Paxos code, seeded delays, drops, partitions, crashes and restarts with the node's
// "disk" kept. Two judges: every slot executes the same command on every server, in every
// incarnation (state machine safety), and the clients' history is linearizable (the harness's
// own checker, kv model).
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkLinearizable } from "../../checkers/linearizable/index.ts";
import type { Op } from "../../histories/op.ts";
import { ERRORS, errorKind } from "../../targets/host/errors.ts";
import { MemoryStorage } from "../../targets/lib/durable.ts";
import type { Body } from "../../targets/lib/node.ts";
import { DEFAULT_OPTIONS, Paxos } from "../../targets/paxos/paxos.ts";
import type { Variant } from "../../targets/paxos/variants.ts";
import { SimNetwork, seededRandom } from "./sim-network.ts";

const IDS3 = ["n1", "n2", "n3"];
const IDS5 = ["n1", "n2", "n3", "n4", "n5"];

class Divergence extends Error {}

class SimCluster {
  readonly net: SimNetwork;
  readonly disks = new Map<string, MemoryStorage>();
  readonly servers = new Map<string, Paxos>();
  /** slot -> the command some server executed there (must never differ). */
  readonly executed = new Map<number, string>();
  /** When set, a divergence is recorded here instead of thrown (the run goes on). */
  divergence: string | undefined;
  recordDivergence = false;
  private checkedUpTo = new Map<string, number>();
  private nextMsg = 1;

  constructor(
    seed: number,
    readonly variant: Variant = "correct",
    readonly ids = IDS3,
    dropRate = 0,
  ) {
    this.net = new SimNetwork(ids, { seed, dropRate });
    for (const id of ids) {
      this.disks.set(id, new MemoryStorage());
      this.start(id);
    }
  }

  start(id: string): void {
    this.net.start(id, (node) => {
      const storage = this.disks.get(id)!;
      this.servers.set(id, new Paxos(node, { ...DEFAULT_OPTIONS, variant: this.variant, storage }));
    });
    this.checkedUpTo.set(id, 0);
  }

  crash(id: string): void {
    this.net.crash(id);
    this.servers.delete(id);
  }

  /** After every event: no slot executed as two different commands [P1] [P4] [P7]. */
  check = (): void => {
    for (const [id, s] of this.servers) {
      for (let i = this.checkedUpTo.get(id)!; i < s.executedLog.length; i++) {
        const here = JSON.stringify(s.executedLog[i]);
        const seen = this.executed.get(i + 1);
        if (seen && seen !== here) {
          const what = `slot ${i + 1} executed as ${seen} and as ${here} (${id})`;
          if (!this.recordDivergence) throw new Divergence(what);
          this.divergence ??= what;
          continue;
        }
        this.executed.set(i + 1, here);
      }
      this.checkedUpTo.set(id, s.executedLog.length);
    }
  };

  run(ms: number): void {
    this.net.run(ms, this.check);
  }

  leader(): string | undefined {
    let best: Paxos | undefined;
    for (const s of this.servers.values()) {
      if (s.role === "leader" && (!best || s.ballot[0] > best.ballot[0])) best = s;
    }
    return best?.node.id;
  }

  /** Send a client request and run until its reply arrives (or `ms` pass). */
  request(dest: string, body: Omit<Body, "msg_id">, ms = 2000): Body | undefined {
    const msgId = this.nextMsg++;
    this.net.clientRequest("c1", dest, { ...body, msg_id: msgId } as Body);
    const until = this.net.now + ms;
    while (this.net.now < until) {
      this.run(10);
      const reply = this.net.clientInbox.find((m) => m.body.in_reply_to === msgId);
      if (reply) return reply.body;
    }
    return undefined;
  }

  /** Deliver a hand-made message (as if from `src`) and return what came back to `src`. */
  inject(src: string, dest: string, body: Omit<Body, "msg_id">): Body[] {
    const before = this.net.clientInbox.length;
    this.net.clientRequest(src, dest, { ...body, msg_id: this.nextMsg++ } as Body);
    this.net.run(1);
    return this.net.clientInbox.slice(before).map((m) => m.body);
  }
}

/** Elect a leader and return it. */
function settle(c: SimCluster): string {
  c.run(2000);
  const leader = c.leader();
  assert.ok(leader, "no leader after 2 s");
  return leader;
}

test("[P1] [P2] one leader takes over and serves writes, reads and cas through any server", () => {
  const c = new SimCluster(1);
  const leader = settle(c);
  assert.equal([...c.servers.values()].filter((s) => s.role === "leader").length, 1);
  assert.equal(c.request("n1", { type: "write", key: "k", value: 1 })?.type, "write_ok");
  assert.equal(c.request("n2", { type: "read", key: "k" })?.value, 1);
  assert.equal(c.request("n3", { type: "cas", key: "k", from: 1, to: 2 })?.type, "cas_ok");
  assert.equal(c.request(leader, { type: "cas", key: "k", from: 1, to: 3 })?.code, 22);
  assert.equal(c.request("n2", { type: "read", key: "missing" })?.code, 20);
  c.run(500);
  // [P1] one order: every server executed the same slots (the check ran after every event).
  const logs = [...c.servers.values()].map((s) => s.executedLog.map((p) => p.id));
  assert.ok(logs[0].length >= 5, `executed ${logs[0].length} slots`);
  for (const log of logs) assert.deepEqual(log, logs[0]);
});

test("[P4] a leader cut off from every LEARN executes nothing and acknowledges nothing", () => {
  const c = new SimCluster(2);
  const leader = settle(c);
  const s = c.servers.get(leader)!;
  const before = s.executedUpTo;
  c.net.partition(
    [leader],
    IDS3.filter((id) => id !== leader),
  );
  const reply = c.request(leader, { type: "write", key: "x", value: 1 }, 1000);
  // Accepted here, but no majority learned it: not executed, and no write_ok.
  assert.notEqual(reply?.type, "write_ok");
  assert.equal(s.executedUpTo, before);
  assert.ok(
    [...s.accepted.keys()].some((slot) => slot > before),
    "the leader accepted it itself",
  );
});

test("[P4] a server executes a slot once LEARNs in one ballot come from a majority, not before", () => {
  const write = { id: "w", command: { type: "write", key: "k", value: 1 } };
  const c = new SimCluster(3, "correct", IDS5);
  for (const id of ["n1", "n2", "n3", "n4"]) c.crash(id); // n5's peers are played by hand
  const n5 = c.servers.get("n5")!;
  // The leader's ACCEPT counts the leader and n5 itself: two of five.
  c.inject("n1", "n5", {
    type: "accept",
    ballot: [3, "n1"],
    entries: [{ slot: 1, proposal: write }],
    executed: 0,
  });
  assert.equal(n5.executedUpTo, 0);
  // A LEARN of the same slot in another ballot does not add up with them.
  c.inject("n2", "n5", {
    type: "learn",
    ballot: [2, "n2"],
    entries: [{ slot: 1, proposal: write }],
  });
  assert.equal(n5.executedUpTo, 0);
  // A third server's LEARN in ballot (3, n1): a majority has accepted it, so it executes.
  c.inject("n3", "n5", {
    type: "learn",
    ballot: [3, "n1"],
    entries: [{ slot: 1, proposal: write }],
  });
  assert.equal(n5.executedUpTo, 1);
  assert.deepEqual(n5.kv.read("k"), { type: "read_ok", value: 1 });
  // On three servers the ACCEPT is the one other LEARN a server needs ("at least one (other)
  // LEARN(o)").
  const three = new SimCluster(3);
  three.crash("n1");
  three.crash("n2");
  three.inject("n1", "n3", {
    type: "accept",
    ballot: [3, "n1"],
    entries: [{ slot: 1, proposal: write }],
    executed: 0,
  });
  assert.equal(three.servers.get("n3")!.executedUpTo, 1);
});

test("[P3] an ACCEPT lost on the way is retransmitted in its original slot", () => {
  const c = new SimCluster(4);
  const leader = settle(c);
  const s = c.servers.get(leader)!;
  const slot = s.executedUpTo + 1;
  const rest = IDS3.filter((id) => id !== leader);
  // Cut for less than an election timeout: the first ACCEPTs are lost, nobody takes over.
  c.net.partition([leader], rest);
  c.net.clientRequest("c9", leader, { type: "write", key: "x", value: 7, msg_id: 1 });
  c.run(150);
  assert.equal(s.executedUpTo, slot - 1, "nothing can be chosen while cut off");
  c.net.heal();
  c.run(500);
  assert.equal(c.net.clientInbox.find((m) => m.dest === "c9")?.body.type, "write_ok");
  assert.equal(s.executedLog[slot - 1].command.type, "write", "the write kept its slot");
  assert.equal(s.ballot[1], leader, "still the same leadership");
});

test("[P3] [P5] with 20% of messages lost every write completes and all servers execute the same log", () => {
  const c = new SimCluster(5, "correct", IDS3, 0.2);
  settle(c);
  for (let i = 0; i < 20; i++) {
    let r = c.request(IDS3[i % 3], { type: "write", key: "k", value: i }, 1500);
    // A lost reply is an unknown outcome, not a lost write: retry the same value.
    for (let t = 0; t < 5 && r?.type !== "write_ok"; t++)
      r = c.request(IDS3[i % 3], { type: "write", key: "k", value: i }, 1500);
    assert.equal(r?.type, "write_ok", `write ${i}: ${JSON.stringify(r)}`);
  }
  c.run(2000);
  const logs = [...c.servers.values()].map((s) => s.executedLog.map((p) => p.id));
  for (const log of logs) assert.deepEqual(log, logs[0]);
  for (const s of c.servers.values()) assert.deepEqual(s.kv.read("k").value, 19);
});

test("[P5] [P9] a restarted server recovers its promise, accepted values and executed slots, and catches up", () => {
  const c = new SimCluster(6);
  const leader = settle(c);
  const follower = IDS3.find((id) => id !== leader)!;
  assert.equal(c.request(leader, { type: "write", key: "a", value: 1 })?.type, "write_ok");
  c.run(200);
  const promised = c.servers.get(follower)!.promised;
  const accepted = c.servers.get(follower)!.accepted.size;
  const executed = c.servers.get(follower)!.executedUpTo;
  c.crash(follower);
  assert.equal(c.request(leader, { type: "write", key: "a", value: 2 })?.type, "write_ok");
  c.start(follower);
  const back = c.servers.get(follower)!;
  assert.deepEqual(back.promised, promised, "promise not recovered from disk");
  assert.equal(back.accepted.size, accepted, "accepted values not recovered from disk");
  // The executed prefix is replayed from disk; what came after it is learned again [P5].
  assert.equal(back.executedUpTo, executed, "executed slots not replayed from disk");
  assert.deepEqual(back.kv.read("a"), { type: "read_ok", value: 1 });
  c.run(1000);
  assert.equal(back.executedUpTo, c.servers.get(leader)!.executedUpTo);
  assert.deepEqual(back.kv.read("a"), { type: "read_ok", value: 2 });
});

test("[P6] [P9] a promise survives a restart: a delayed ACCEPT of an older ballot is rejected", () => {
  const c = new SimCluster(7);
  c.crash("n1");
  c.crash("n2"); // n3 alone; its peers are played by hand
  const promise = c.inject("nX", "n3", { type: "prepare", ballot: [50, "nX"], from: 1 });
  assert.equal(promise[0]?.type, "promise");
  c.crash("n3");
  c.start("n3");
  const delayed = c.inject("nY", "n3", {
    type: "accept",
    ballot: [40, "nY"],
    entries: [
      { slot: 1, proposal: { id: "late", command: { type: "write", key: "k", value: 1 } } },
    ],
    executed: 0,
  });
  assert.deepEqual(delayed, [{ type: "nack", ballot: [50, "nX"] }]);
  assert.equal(c.servers.get("n3")!.accepted.size, 0, "the delayed ACCEPT was not accepted");
  // The newer leader's ACCEPT is accepted, and reported to a later takeover after a restart.
  c.inject("nX", "n3", {
    type: "accept",
    ballot: [50, "nX"],
    entries: [{ slot: 1, proposal: { id: "new", command: { type: "write", key: "k", value: 2 } } }],
    executed: 0,
  });
  c.crash("n3");
  c.start("n3");
  const report = c.inject("nZ", "n3", { type: "prepare", ballot: [60, "nZ"], from: 1 });
  assert.deepEqual(report[0]?.entries, [
    {
      slot: 1,
      ballot: [50, "nX"],
      chosen: false,
      proposal: { id: "new", command: { type: "write", key: "k", value: 2 } },
    },
  ]);
});

test("[P7] a takeover re-proposes what the old leader left and fills holes with no-ops before new commands", () => {
  const c = new SimCluster(8);
  const old = settle(c);
  assert.equal(c.request(old, { type: "write", key: "k", value: 1 })?.type, "write_ok");
  c.run(200);
  const s0 = c.servers.get(old)!.executedUpTo;
  const ballot = c.servers.get(old)!.ballot;
  c.crash(old);
  // The old leader's last ACCEPT reached one server only, three slots ahead (two in between
  // never arrived anywhere).
  const witness = IDS3.find((id) => id !== old)!;
  c.inject(old, witness, {
    type: "accept",
    ballot,
    entries: [
      { slot: s0 + 3, proposal: { id: "left", command: { type: "write", key: "k", value: 9 } } },
    ],
    executed: s0,
  });
  c.run(2000);
  const leader = c.leader();
  assert.ok(leader && leader !== old);
  assert.equal(c.request(leader, { type: "write", key: "j", value: 5 })?.type, "write_ok");
  const log = c.servers.get(leader)!.executedLog;
  assert.deepEqual(
    log.slice(s0, s0 + 3).map((p) => p.command.type),
    ["noop", "noop", "write"],
  );
  assert.equal(log[s0 + 2].id, "left", "the outstanding value kept its slot");
  // New commands come after the flushed slots.
  assert.equal(log[s0 + 3].command.type, "write");
  assert.equal(c.request(leader, { type: "read", key: "k" })?.value, 9);
});

test("[P7] [P9] after every server crashed, a takeover recovers a log longer than one message, in chunks", () => {
  const c = new SimCluster(11);
  const leader = settle(c);
  for (let v = 1; v <= 250; v++) {
    assert.equal(
      c.request(leader, { type: "write", key: `k${v % 3}`, value: v })?.type,
      "write_ok",
    );
  }
  const executed = c.servers.get(leader)!.executedUpTo;
  assert.ok(executed > 2 * DEFAULT_OPTIONS.maxEntriesPerMessage, `${executed} slots`);
  for (const id of IDS3) c.crash(id);
  for (const id of IDS3) c.start(id);
  const next = settle(c);
  assert.ok(c.servers.get(next)!.executedUpTo >= executed, "the new leader executed the old log");
  assert.equal(c.request(next, { type: "read", key: "k1" })?.value, 250);
  assert.equal(c.request(next, { type: "read", key: "k0" })?.value, 249);
});

/** The isolated follower campaigns alone (higher and higher rounds) while the others commit
 *  writes; then it returns while the leader is cut off, and takes over. */
function staleTakeover(c: SimCluster): { stale: string; acked: number[] } {
  const leader = settle(c);
  const stale = IDS3.find((id) => id !== leader)!;
  const third = IDS3.find((id) => id !== leader && id !== stale)!;
  c.net.partition([stale], [leader, third]);
  const acked: number[] = [];
  for (let v = 1; v <= 5; v++) {
    if (c.request(leader, { type: "write", key: "x", value: v })?.type === "write_ok")
      acked.push(v);
  }
  c.run(1000);
  c.net.heal();
  c.net.partition([leader], [stale, third]);
  c.run(1500);
  return { stale, acked };
}

test("[P7] a stale server that takes over learns the chosen writes from the promises (correct)", () => {
  const c = new SimCluster(9);
  const { stale, acked } = staleTakeover(c);
  assert.equal(acked.length, 5);
  assert.equal(c.leader(), stale, "the stale server took over");
  assert.equal(c.request(stale, { type: "read", key: "x" })?.value, 5);
});

test("no-flush-takeover: the stale new leader overwrites chosen slots; two servers execute different commands in one slot", () => {
  const c = new SimCluster(9, "no-flush-takeover");
  assert.throws(() => {
    staleTakeover(c);
    c.request(c.leader()!, { type: "write", key: "y", value: 1 });
    c.run(500);
  }, Divergence);
});

test("execute-before-majority: an isolated leader acknowledges a write no majority learned, and executes it where the others execute another command (correct Paxos does not)", () => {
  for (const variant of ["execute-before-majority", "correct"] as const) {
    const c = new SimCluster(10, variant);
    const old = settle(c);
    assert.equal(c.request(old, { type: "write", key: "x", value: 1 })?.type, "write_ok");
    const rest = IDS3.filter((id) => id !== old);
    c.net.partition([old], rest);
    const lonely = c.request(old, { type: "write", key: "x", value: 2 }, 300);
    assert.equal(lonely?.type === "write_ok", variant === "execute-before-majority", variant);
    const majority = () => {
      c.run(2000);
      // The majority's new leader fills the old leader's slot; the write is lost.
      assert.equal(c.request(rest[0], { type: "read", key: "x" })?.value, 1, variant);
    };
    if (variant === "correct") majority();
    else assert.throws(majority, Divergence);
  }
});

// ---- random faults, judged by state machine safety and by the linearizability checker ----

interface InFlight {
  process: number;
  op: Omit<Op, "index" | "time" | "type">;
  msgId: number;
  deadline: number;
}

/** Clients issuing lin-kv ops on 3 keys to random servers while random faults hit the
 *  cluster; the history they record. */
function chaos(
  seed: number,
  variant: Variant,
  seconds: number,
): { history: Op[]; divergence?: string } {
  const c = new SimCluster(seed, variant, IDS3, 0.02);
  c.recordDivergence = true;
  const rng = seededRandom(seed * 7919);
  const history: Op[] = [];
  const record = (op: Omit<Op, "index" | "time">) =>
    history.push({ ...op, index: history.length, time: c.net.now * 1e6 } as Op);
  const clients = ["c1", "c2", "c3", "c4", "c5"];
  const inFlight = new Map<string, InFlight>();
  let nextProcess = 0;
  const processOf = new Map(clients.map((cl) => [cl, nextProcess++]));
  let fresh = 0;
  let msgId = 1;

  const invoke = (client: string): void => {
    const key = `k${Math.floor(rng() * 3)}`;
    const r = rng();
    const process = processOf.get(client)!;
    const op =
      r < 0.5
        ? { process, f: "read", key, value: null }
        : r < 0.75
          ? { process, f: "write", key, value: ++fresh }
          : { process, f: "cas", key, value: [Math.floor(rng() * fresh) + 1, ++fresh] };
    const body: Body =
      op.f === "cas"
        ? { type: "cas", key, from: (op.value as number[])[0], to: (op.value as number[])[1] }
        : op.f === "write"
          ? { type: "write", key, value: op.value }
          : { type: "read", key };
    const id = msgId++;
    record({ ...op, type: "invoke" });
    inFlight.set(client, { process, op, msgId: id, deadline: c.net.now + 1000 });
    c.net.clientRequest(client, IDS3[Math.floor(rng() * 3)], { ...body, msg_id: id });
  };

  const complete = (client: string, f: InFlight, reply: Body | undefined): void => {
    inFlight.delete(client);
    const base = { process: f.process, f: f.op.f, key: f.op.key };
    if (!reply) {
      record({ ...base, type: "info", value: f.op.value, error: "timeout" });
      processOf.set(client, nextProcess++); // an info op retires its process
      return;
    }
    if (reply.type === "read_ok") return void record({ ...base, type: "ok", value: reply.value });
    if (reply.type === "write_ok" || reply.type === "cas_ok") {
      return void record({ ...base, type: "ok", value: f.op.value });
    }
    const code = Number(reply.code);
    if (f.op.f === "read" && code === ERRORS.keyDoesNotExist.code) {
      return void record({ ...base, type: "ok", value: null });
    }
    if (errorKind(code).definite) return void record({ ...base, type: "fail", value: f.op.value });
    record({ ...base, type: "info", value: f.op.value, error: code });
    processOf.set(client, nextProcess++);
  };

  const faults: (() => (() => void) | void)[] = [
    () =>
      c.net.partition(
        [c.leader() ?? "n1"],
        IDS3.filter((id) => id !== (c.leader() ?? "n1")),
      ),
    () => {
      const one = IDS3[Math.floor(rng() * 3)];
      c.net.partition(
        [one],
        IDS3.filter((id) => id !== one),
      );
    },
    () => {
      const l = c.leader() ?? "n1";
      c.crash(l);
      return () => c.start(l);
    },
    () => {
      const l = c.leader() ?? "n1";
      const two = [l, IDS3.find((id) => id !== l)!];
      for (const id of two) c.crash(id);
      return () => two.forEach((id) => c.start(id));
    },
    () => {
      for (const id of IDS3) c.crash(id);
      return () => IDS3.forEach((id) => c.start(id));
    },
  ];

  let undo = undefined as (() => void) | undefined;
  let nextFault = 1000;
  let faultOn = false;
  const end = seconds * 1000;
  while (c.net.now < end) {
    c.run(5);
    for (const cl of clients) {
      const f = inFlight.get(cl);
      if (!f) continue;
      const at = c.net.clientInbox.findIndex(
        (m) => m.dest === cl && m.body.in_reply_to === f.msgId,
      );
      if (at >= 0) complete(cl, f, c.net.clientInbox.splice(at, 1)[0].body);
      else if (c.net.now >= f.deadline) complete(cl, f, undefined);
    }
    if (c.net.now < end - 1500) for (const cl of clients) if (!inFlight.has(cl)) invoke(cl);
    if (c.net.now >= nextFault) {
      if (faultOn) {
        undo?.();
        c.net.heal();
      } else {
        undo = faults[Math.floor(rng() * faults.length)]() ?? undefined;
      }
      faultOn = !faultOn;
      nextFault = c.net.now + 600 + rng() * 900;
    }
  }
  if (faultOn) undo?.();
  c.net.heal();
  // Final reads of every key once the cluster had time to recover (what shows lost writes).
  c.run(2000);
  for (const key of ["k0", "k1", "k2"]) {
    const process = nextProcess++;
    record({ process, f: "read", key, value: null, type: "invoke" });
    const reply = c.request("n1", { type: "read", key }, 3000);
    if (reply?.type === "read_ok")
      record({ process, f: "read", key, value: reply.value, type: "ok" });
    else if (reply?.code === ERRORS.keyDoesNotExist.code)
      record({ process, f: "read", key, value: null, type: "ok" });
    else record({ process, f: "read", key, value: null, type: "info" });
  }
  return { history, divergence: c.divergence };
}

/** What a chaos run found: a slot executed two ways, a history that is not linearizable. */
async function judge(seed: number, variant: Variant, seconds = 20) {
  const { history, divergence } = chaos(seed, variant, seconds);
  const oks = history.filter((o) => o.type === "ok").length;
  assert.ok(oks > 200, `seed ${seed}: only ${oks} ops completed`);
  const result = await checkLinearizable(history, { model: "kv", timeLimitMs: 20_000 });
  assert.notEqual(result.valid, "unknown", `seed ${seed}: the checker could not decide`);
  return { divergence, linearizable: result.valid === true };
}

test("correct Paxos under random partitions, crashes of the leader, a majority or all, and 2% loss: one log, linearizable (8 seeds)", async () => {
  for (let seed = 1; seed <= 8; seed++) {
    assert.deepEqual(await judge(seed, "correct"), { divergence: undefined, linearizable: true });
  }
});

for (const variant of ["execute-before-majority", "no-flush-takeover"] as const) {
  test(`${variant} under the same random faults: slots executed two ways, and clients see it (8 seeds)`, async () => {
    let diverged = 0;
    let visible = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const r = await judge(seed, variant);
      if (r.divergence) diverged++;
      if (!r.linearizable) visible++;
    }
    assert.ok(diverged >= 6, `${variant}: slots executed two ways on ${diverged} of 8 seeds`);
    assert.ok(visible >= 3, `${variant}: a client-visible anomaly on ${visible} of 8 seeds`);
  });
}
