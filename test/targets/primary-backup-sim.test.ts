// Primary-backup's rules checked on the deterministic simulated network (no Docker): the real
// node code, a simulated lin-kv configuration service (sim-services.ts), seeded delays, drops,
// partitions, crashes and restarts with each node's "disk" kept. Each rule [PB1]..[PB8] of
// targets/primary-backup/primary-backup.ts, failover, and each variant's flaw.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkLinearizable } from "../../checkers/linearizable/index.ts";
import type { Op } from "../../histories/op.ts";
import { errorKind } from "../../targets/host/errors.ts";
import { MemoryStorage } from "../../targets/lib/durable.ts";
import type { Body, Message } from "../../targets/lib/node.ts";
import { CONFIG_KEY } from "../../targets/primary-backup/config.ts";
import type { Config } from "../../targets/primary-backup/config.ts";
import { DEFAULT_OPTIONS, PrimaryBackup } from "../../targets/primary-backup/primary-backup.ts";
import type { PrimaryBackupOptions } from "../../targets/primary-backup/primary-backup.ts";
import type { Variant } from "../../targets/primary-backup/variants.ts";
import { seededRandom } from "./sim-network.ts";
import { SimNetworkWithServices } from "./sim-services.ts";

const IDS = ["n1", "n2", "n3"];

/** A node's disk that remembers the highest sequence number on it (snapshot or log). */
class TrackedDisk extends MemoryStorage {
  savedSeq = 0;
  override save(name: string, value: unknown): void {
    super.save(name, value);
    if (name === "replica") this.savedSeq = (value as { seq: number }).seq;
  }
  override appendRecords(name: string, records: unknown[]): void {
    super.appendRecords(name, records);
    if (name === "updates") this.savedSeq = (records.at(-1) as { seq: number }).seq;
  }
}
type Timing = Partial<Omit<PrimaryBackupOptions, "variant" | "storage">>;

class PbCluster {
  readonly net: SimNetworkWithServices;
  readonly disks = new Map<string, TrackedDisk>();
  readonly nodes = new Map<string, PrimaryBackup>();
  /** epoch -> the node that acted as its primary (with epochs: never two). */
  readonly primaries = new Map<number, string>();
  private nextMsg = 1;

  constructor(
    seed: number,
    readonly variant: Variant = "correct",
    readonly timing: Timing = {},
    dropRate = 0,
    readonly ids = IDS,
  ) {
    this.net = new SimNetworkWithServices(ids, { seed, dropRate });
    this.net.onSend = this.checkSend;
    for (const id of ids) {
      this.disks.set(id, new TrackedDisk());
      this.start(id);
    }
  }

  start(id: string): void {
    this.net.start(id, (node) => {
      const options = {
        ...DEFAULT_OPTIONS,
        ...this.timing,
        variant: this.variant,
        storage: this.disks.get(id)!,
      };
      this.nodes.set(id, new PrimaryBackup(node, options));
    });
  }

  crash(id: string): void {
    this.net.crash(id);
    this.nodes.delete(id);
  }

  /** After every event: one primary per epoch (the variant without epochs breaks it). */
  check = (): void => {
    if (this.variant === "no-epochs") return;
    for (const [id, pb] of this.nodes) {
      if (pb.role !== "primary") continue;
      const epoch = pb.config!.epoch;
      const other = this.primaries.get(epoch);
      assert.ok(!other || other === id, `two primaries in epoch ${epoch}: ${other}, ${id}`);
      this.primaries.set(epoch, id);
    }
  };

  /** [PB8] for every message: a backup acknowledges, and a primary sends, only updates that
   *  are on its disk. */
  checkSend = (msg: Message): void => {
    const b = msg.body;
    const saved = this.disks.get(msg.src)?.savedSeq ?? 0;
    if (b.type === "pb_ack" && b.synced) {
      assert.ok((b.seq as number) <= saved, `${msg.src} acked ${b.seq}, on disk ${saved}`);
    }
    if (b.type === "pb_update") {
      const last = (b.seq as number) + (b.commands as unknown[]).length - 1;
      assert.ok(last <= saved, `${msg.src} sent update ${last}, on disk ${saved}`);
    }
  };

  run(ms: number): void {
    this.net.run(ms, this.check);
  }

  /** The primary of the highest epoch among the nodes that think they are primary. */
  primary(): string | undefined {
    let best: PrimaryBackup | undefined;
    for (const pb of this.nodes.values()) {
      if (pb.role === "primary" && (!best || pb.config!.epoch > best.config!.epoch)) best = pb;
    }
    return best?.node.id;
  }

  actingPrimaries(): string[] {
    return [...this.nodes].filter(([, pb]) => pb.role === "primary").map(([id]) => id);
  }

  /** The configuration as the service holds it. */
  config(): Config {
    return this.net.linKv.get(CONFIG_KEY) as Config;
  }

  /** Send a client request and run until its reply arrives (or `ms` pass). */
  request(dest: string, body: Omit<Body, "msg_id">, ms = 2000): Body | undefined {
    const msgId = this.send(dest, body);
    return this.await(msgId, ms);
  }

  send(dest: string, body: Omit<Body, "msg_id">): number {
    const msgId = this.nextMsg++;
    this.net.clientRequest("c1", dest, { ...body, msg_id: msgId } as Body);
    return msgId;
  }

  await(msgId: number, ms: number): Body | undefined {
    const until = this.net.now + ms;
    while (this.net.now < until) {
      const reply = this.reply(msgId);
      if (reply) return reply;
      this.run(Math.min(10, until - this.net.now));
    }
    return this.reply(msgId);
  }

  reply(msgId: number): Body | undefined {
    return this.net.clientInbox.find((m) => m.body.in_reply_to === msgId)?.body;
  }

  value(id: string, key: string): unknown {
    const r = this.nodes.get(id)!.kv.read(key);
    return r.type === "read_ok" ? r.value : undefined;
  }
}

/** A started cluster with its first primary in place and one write through it. */
function ready(seed: number, variant: Variant = "correct", timing: Timing = {}): PbCluster {
  const c = new PbCluster(seed, variant, timing);
  c.run(1000);
  assert.equal(c.primary(), "n1");
  assert.equal(c.request("n1", { type: "write", key: "x", value: 1 })?.type, "write_ok");
  return c;
}

test("three nodes start in epoch 2 with n1 primary and serve read, write and cas through any node [PB1]", () => {
  const c = new PbCluster(1);
  c.run(1000);
  assert.deepEqual(c.config(), { epoch: 2, primary: "n1", members: IDS });
  assert.equal(c.primary(), "n1");
  for (const id of ["n2", "n3"]) {
    assert.equal(c.nodes.get(id)!.role, "backup");
    assert.equal(c.nodes.get(id)!.synced, true, `${id} got the primary's state`);
  }
  assert.equal(c.request("n2", { type: "write", key: "k", value: 1 })?.type, "write_ok");
  assert.equal(c.request("n3", { type: "read", key: "k" })?.value, 1);
  assert.equal(c.request("n1", { type: "cas", key: "k", from: 1, to: 2 })?.type, "cas_ok");
  assert.equal(c.request("n2", { type: "cas", key: "k", from: 1, to: 3 })?.code, 22);
  assert.equal(c.request("n3", { type: "read", key: "missing" })?.code, 20);
  // The primary numbered the two updates; every backup applied both, in order.
  for (const id of IDS) assert.equal(c.nodes.get(id)!.seq, 2, id);
  for (const id of IDS) assert.equal(c.value(id, "k"), 2, id);
});

// Timing for the tests that hold a backup cut off: the primary never removes it, and the cut
// backup never proposes itself, so only the rule under test decides when replies come.
const PATIENT: Timing = { removalMs: 60_000, aloneFailoverMs: 60_000 };

test("[PB2] an update is answered only after every backup acknowledged it; backups apply it at once", () => {
  const c = ready(2, "correct", PATIENT);
  c.net.partition(["n3"], ["n1", "n2"]);
  const id = c.send("n1", { type: "write", key: "x", value: 2 });
  c.run(1500);
  assert.equal(c.reply(id), undefined, "answered without n3's ack");
  assert.equal(c.value("n2", "x"), 2, "n2 (hot backup) applied the update");
  assert.equal(c.value("n3", "x"), 1);
  c.net.heal();
  const r = c.await(id, 500);
  assert.equal(r?.type, "write_ok", JSON.stringify(r));
  assert.equal(c.value("n3", "x"), 2);
});

test("[PB3] a query at the primary waits for acks of the updates before it (early-query answers at once)", () => {
  for (const variant of ["correct", "early-query"] as const) {
    const c = ready(3, variant, PATIENT);
    c.net.partition(["n3"], ["n1", "n2"]);
    const write = c.send("n1", { type: "write", key: "x", value: 2 });
    c.run(50);
    const read = c.send("n1", { type: "read", key: "x" });
    c.run(1000);
    assert.equal(c.reply(write), undefined);
    if (variant === "early-query") {
      // The unacknowledged update is visible: had the primary failed now, it would be lost.
      assert.equal(c.reply(read)?.value, 2, "early-query answered from its own state");
      continue;
    }
    assert.equal(c.reply(read), undefined, "the query was answered before n3 acknowledged");
    c.net.heal();
    assert.equal(c.await(read, 500)?.value, 2);
    assert.equal(c.reply(write)?.type, "write_ok");
  }
});

test("[PB3] a query with no update pending still needs a round of acks: a cut-off primary cannot answer", () => {
  const c = ready(4, "correct", PATIENT);
  c.net.partition(["n3"], ["n1", "n2"]);
  const read = c.send("n1", { type: "read", key: "x" });
  c.run(1000);
  assert.equal(c.reply(read), undefined);
  c.net.heal();
  assert.equal(c.await(read, 500)?.value, 1);
});

/** Cut the primary n1 off from its backups (clients still reach it); the backups fail over
 *  and write x=2 through the new primary. Returns the cluster and that primary. */
function failover(seed: number, variant: Variant): { c: PbCluster; fresh: string } {
  const c = ready(seed, variant);
  c.net.partition(["n1"], ["n2", "n3"]);
  c.run(1200);
  const fresh = c.config().primary;
  assert.notEqual(fresh, "n1", "the backups did not fail over");
  assert.equal(c.request(fresh, { type: "write", key: "x", value: 2 })?.type, "write_ok");
  return { c, fresh };
}

test("[PB4] backups that stop hearing the primary promote one of them in the next epoch, without the old primary", () => {
  const { c, fresh } = failover(5, "correct");
  const config = c.config();
  assert.equal(config.epoch, 3);
  assert.deepEqual([...config.members].sort(), ["n2", "n3"]);
  assert.equal(c.nodes.get(fresh)!.role, "primary");
  const other = fresh === "n2" ? "n3" : "n2";
  assert.equal(c.nodes.get(other)!.role, "backup");
  assert.equal(c.value(other, "x"), 2);
  // The configuration service saw compare-and-sets, one per epoch change.
  assert.ok((c.net.served.get("cas") ?? 0) >= 2);
});

test("[PB4] a backup cut off alone does not take over: the primary removes it and goes on", () => {
  const c = ready(6);
  c.net.partition(["n3"], ["n1", "n2"]);
  c.run(3500);
  assert.deepEqual(c.config(), { epoch: 3, primary: "n1", members: ["n1", "n2"] });
  assert.equal(c.request("n1", { type: "write", key: "x", value: 2 }, 500)?.type, "write_ok");
  assert.equal(c.nodes.get("n3")!.role, "outsider");
});

test("[PB4][PB6] a backup that learns a new epoch from the service before its state arrives may still take over", () => {
  const c = ready(15);
  c.net.partition(["n3"], ["n1", "n2"]);
  // Cut n1 off the moment the service holds its removal of n3 (epoch 3: n1, n2), before
  // n2 can receive epoch 3's state.
  while (c.config().epoch < 3) c.net.run(1, c.check);
  c.net.heal();
  c.net.partition(["n1"], ["n2", "n3"]);
  assert.equal(c.nodes.get("n2")!.config!.epoch, 2, "n2 has not heard of epoch 3 yet");
  c.run(1500);
  // n2 acknowledged nothing in epoch 3, so nothing was acknowledged there: its epoch-2 state
  // is complete, and it leads epoch 4 (then n3, back, joins it).
  assert.equal(c.primaries.get(4), "n2");
  assert.equal(c.config().primary, "n2");
  assert.equal(c.request("n2", { type: "read", key: "x" })?.value, 1);
});

test("[PB5] the deposed primary answers no query and completes no update; on heal it steps down and rejoins [PB6]", () => {
  const { c, fresh } = failover(7, "correct");
  const read = c.send("n1", { type: "read", key: "x" });
  const write = c.send("n1", { type: "write", key: "x", value: 3 });
  c.run(2000);
  assert.notEqual(c.reply(read)?.value, 1, "stale read from the deposed primary");
  // Its removal of the backups failed (the epoch had moved on): it stepped down, and its
  // pending update is uncertain [PB7], its query unavailable.
  assert.equal(c.reply(write)?.code, 0, JSON.stringify(c.reply(write)));
  assert.equal(c.reply(read)?.code, 11);
  assert.notEqual(c.nodes.get("n1")!.role, "primary");
  c.net.heal();
  c.run(2000);
  const config = c.config();
  assert.equal(config.primary, fresh);
  assert.ok(config.members.includes("n1"), `n1 rejoined: ${JSON.stringify(config)}`);
  assert.equal(c.nodes.get("n1")!.role, "backup");
  assert.equal(c.value("n1", "x"), 2, "the state transfer replaced n1's state");
  assert.equal(c.request("n1", { type: "read", key: "x" })?.value, 2);
});

test("[PB5] a backup answers a message of an older epoch with the newer configuration", () => {
  const { c, fresh } = failover(8, "correct");
  c.net.heal();
  // n1 still thinks it leads epoch 2; its next beat is refused, and it learns of epoch 3.
  assert.equal(c.nodes.get("n1")!.role, "primary");
  c.run(200);
  assert.equal(c.nodes.get("n1")!.config!.epoch >= 3, true);
  assert.notEqual(c.nodes.get("n1")!.role, "primary");
  assert.equal(c.nodes.get(fresh)!.role, "primary");
});

test("early-query: a deposed primary that still believes it leads answers a stale read (correct: no answer)", () => {
  for (const variant of ["early-query", "correct"] as const) {
    const { c } = failover(9, variant);
    assert.equal(c.nodes.get("n1")!.role, "primary", "n1 still believes it leads");
    const reply = c.request("n1", { type: "read", key: "x" }, 200);
    if (variant === "early-query") assert.equal(reply?.value, 1, "expected the stale 1");
    else assert.equal(reply, undefined, `answered ${JSON.stringify(reply)}`);
  }
});

test("no-epochs: the cut-off primary and the promoted backup are both primary and both answer (two primaries)", () => {
  const { c, fresh } = failover(10, "no-epochs");
  c.run(2000); // n1 removes its silent backups by overwriting the configuration
  assert.deepEqual(c.actingPrimaries().sort(), ["n1", fresh].sort());
  assert.equal(c.request("n1", { type: "read", key: "x" }, 500)?.value, 1, "n1 answers 1");
  assert.equal(c.request(fresh, { type: "read", key: "x" }, 500)?.value, 2, `${fresh} answers 2`);
  assert.equal(c.config().epoch, 1, "the epoch never moved");
});

test("[PB6] a backup restarted after missing updates recovers its disk and catches up by state transfer", () => {
  const c = ready(11);
  c.crash("n3");
  // The primary removes the silent n3, then goes on without it.
  assert.equal(c.request("n1", { type: "write", key: "x", value: 2 }, 3000)?.type, "write_ok");
  assert.equal(c.request("n1", { type: "write", key: "y", value: 7 }, 500)?.type, "write_ok");
  assert.ok(!c.config().members.includes("n3"));
  c.start("n3");
  assert.equal(c.value("n3", "x"), 1, "n3 recovered its state from disk");
  c.run(1000);
  assert.ok(c.config().members.includes("n3"), "n3 rejoined");
  assert.equal(c.nodes.get("n3")!.role, "backup");
  assert.equal(c.value("n3", "x"), 2);
  assert.equal(c.value("n3", "y"), 7);
});

test("[PB8] every node killed at once: acknowledged updates are on disk and the primary takes over again", () => {
  const c = ready(12);
  assert.equal(c.request("n2", { type: "cas", key: "x", from: 1, to: 5 })?.type, "cas_ok");
  const epoch = c.config().epoch;
  for (const id of IDS) c.crash(id);
  for (const id of IDS) c.start(id);
  c.run(1500);
  assert.ok(c.config().epoch > epoch, "a new epoch after the restart");
  assert.ok(c.primary());
  assert.equal(c.request("n3", { type: "read", key: "x" })?.value, 5);
});

test("[PB4][PB6] the primary killed: a backup takes over with every acknowledged update; the old primary rejoins", () => {
  const c = ready(13);
  for (let i = 2; i <= 5; i++) {
    assert.equal(c.request("n1", { type: "write", key: "x", value: i })?.type, "write_ok");
  }
  c.crash("n1");
  c.run(1500);
  const fresh = c.primary();
  assert.ok(fresh && fresh !== "n1");
  assert.equal(c.request(fresh, { type: "read", key: "x" })?.value, 5);
  c.start("n1");
  c.run(1500);
  assert.equal(c.nodes.get("n1")!.role, "backup");
  assert.equal(c.request("n1", { type: "read", key: "x" })?.value, 5);
});

test("[PB7] a request forwarded to a primary that is replaced is answered uncertain at the epoch change", () => {
  const c = ready(14, "correct", { forwardTimeoutMs: 10_000 });
  c.net.partition(["n1"], ["n2", "n3"]);
  const started = c.net.now;
  const reply = c.request("n2", { type: "write", key: "x", value: 2 }, 3000);
  assert.equal(reply?.code, 0, JSON.stringify(reply));
  assert.match(String(reply?.text), /primary changed/);
  assert.ok(c.net.now - started < 2000, "answered at the failover, not at the forward timeout");
});

// ---- the whole protocol under random faults, checked for linearizability -------------------

interface Invocation {
  process: number;
  f: string;
  key: string;
  value: unknown;
  msgId: number;
  deadline: number;
}

/** Clients issuing lin-kv ops to random nodes while `faults` runs; the history of it all. */
class Workload {
  readonly history: Op[] = [];
  private inFlight = new Map<number, Invocation>(); // by client slot
  private nextProcess = 0;
  private processes: number[] = [];
  private fresh = 0;
  private nextMsg = 1_000_000;
  private seen = 0;

  constructor(
    readonly c: PbCluster,
    readonly rng: () => number,
    clients = 5,
    readonly timeoutMs = 1000,
  ) {
    for (let i = 0; i < clients; i++) this.processes.push(this.nextProcess++);
  }

  private record(op: Omit<Op, "index" | "time">): void {
    this.history.push({ ...op, index: this.history.length, time: this.c.net.now * 1e6 } as Op);
  }

  /** Run `ms` of simulated time with every client busy (one op in flight each). */
  run(ms: number, ids: string[] = this.c.ids): void {
    const until = this.c.net.now + ms;
    while (this.c.net.now < until) {
      for (let slot = 0; slot < this.processes.length; slot++) {
        if (!this.inFlight.has(slot)) this.invoke(slot, ids);
      }
      this.c.run(5);
      this.collect();
    }
  }

  private invoke(slot: number, ids: string[]): void {
    const key = `k${Math.floor(this.rng() * 3)}`;
    const r = this.rng();
    const f = r < 0.6 ? "read" : r < 0.8 ? "write" : "cas";
    const value = f === "read" ? null : f === "write" ? ++this.fresh : [this.fresh, ++this.fresh];
    const process = this.processes[slot]!;
    const msgId = this.nextMsg++;
    const dest = ids[Math.floor(this.rng() * ids.length)]!;
    this.record({ process, type: "invoke", f, key, value });
    const body: Body =
      f === "read"
        ? { type: "read", key }
        : f === "write"
          ? { type: "write", key, value }
          : { type: "cas", key, from: (value as number[])[0], to: (value as number[])[1] };
    this.c.net.clientRequest(`c${slot}`, dest, { ...body, msg_id: msgId });
    this.inFlight.set(slot, {
      process,
      f,
      key,
      value,
      msgId,
      deadline: this.c.net.now + this.timeoutMs,
    });
  }

  private collect(): void {
    const inbox = this.c.net.clientInbox;
    for (; this.seen < inbox.length; this.seen++) {
      const m = inbox[this.seen]!;
      const slot = Number(m.dest.slice(1));
      const inv = this.inFlight.get(slot);
      if (!inv || m.body.in_reply_to !== inv.msgId) continue; // a reply after the timeout
      this.complete(slot, inv, m.body);
    }
    for (const [slot, inv] of this.inFlight) {
      if (this.c.net.now >= inv.deadline) this.complete(slot, inv, undefined);
    }
  }

  private complete(slot: number, inv: Invocation, reply: Body | undefined): void {
    this.inFlight.delete(slot);
    const base = { process: inv.process, f: inv.f, key: inv.key };
    let type: "ok" | "fail" | "info" = "info";
    let value = inv.value;
    if (reply?.type === "read_ok") [type, value] = ["ok", reply.value];
    else if (reply?.type === "write_ok" || reply?.type === "cas_ok") type = "ok";
    else if (reply?.type === "error") {
      const code = Number(reply.code);
      if (inv.f === "read" && code === 20) [type, value] = ["ok", null];
      else type = errorKind(code).definite ? "fail" : "info";
    }
    this.record({ ...base, type, value });
    // After an unknown outcome the process is retired, as in Faultline's workers.
    if (type === "info") this.processes[slot] = this.nextProcess++;
  }
}

/** A seeded run: faults of every kind the nemesis has (but pauses), then healing, then a
 *  final read of every key. Returns the linearizability checker's verdict on the history. */
async function randomRun(seed: number, variant: Variant): Promise<boolean | "unknown"> {
  const c = new PbCluster(seed, variant, {}, 0.03);
  const rng = seededRandom(seed * 7919);
  const w = new Workload(c, rng);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rng() * xs.length)]!;
  w.run(1500);
  for (let round = 0; round < 6; round++) {
    const primary = c.primary() ?? pick(IDS);
    const backup = pick(IDS.filter((id) => id !== primary));
    const fault = pick([
      "isolate-primary",
      "isolate-backup",
      "bridge",
      "kill-primary",
      "kill-all",
      "kill-backup",
    ]);
    if (fault === "isolate-primary")
      c.net.partition(
        [primary],
        IDS.filter((id) => id !== primary),
      );
    // The backup loses the primary but still hears the other backup, which hears both.
    if (fault === "bridge") c.net.partition([primary], [backup]);
    if (fault === "isolate-backup")
      c.net.partition(
        [backup],
        IDS.filter((id) => id !== backup),
      );
    const killed = fault === "kill-primary" ? [primary] : fault === "kill-backup" ? [backup] : [];
    if (fault === "kill-all") killed.push(...IDS);
    for (const id of killed) c.crash(id);
    const alive = IDS.filter((id) => !killed.includes(id));
    w.run(2000 + rng() * 2000, alive.length > 0 ? alive : IDS);
    c.net.heal();
    for (const id of killed) c.start(id);
    w.run(1500 + rng() * 1500);
  }
  w.run(3000);
  const oks = w.history.filter((o) => o.type === "ok").length;
  assert.ok(oks > 200, `seed ${seed}: only ${oks} ops succeeded`);
  const result = await checkLinearizable(w.history, { model: "kv", timeLimitMs: 20_000 });
  return result.valid;
}

test("under random partitions and kills the correct protocol stays linearizable (many seeds)", async () => {
  for (let seed = 1; seed <= 8; seed++) {
    assert.equal(await randomRun(seed, "correct"), true, `seed ${seed}: not linearizable`);
  }
});

test("under the same random faults each broken variant produces a non-linearizable history", async () => {
  for (const variant of ["early-query", "no-epochs"] as const) {
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    let caughtAt: number | undefined;
    for (const seed of seeds) {
      if ((await randomRun(seed, variant)) !== false) continue;
      caughtAt = seed;
      break;
    }
    assert.ok(caughtAt !== undefined, `${variant} was never caught in seeds ${seeds.join(",")}`);
  }
});
