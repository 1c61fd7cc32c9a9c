// Chain replication's rules checked on a deterministic simulated network (no Docker): the real
// chain node code, the lin-kv service as the chain master's store, seeded delays, drops,
// partitions, crashes and restarts with the node's "disk" kept. Each rule [C1]..[C8] of
// targets/chain/chain.ts has a test; repair after head, middle and tail failure has one each;
// each variant's flaw is shown against the correct chain on the same scenario; and random
// workloads under faults are judged by Faultline's linearizability checker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkLinearizable } from "../../checkers/linearizable/index.ts";
import type { Op } from "../../histories/op.ts";
import { ChainNode, DEFAULT_OPTIONS } from "../../targets/chain/chain.ts";
import { CONFIG_KEY, ids } from "../../targets/chain/config.ts";
import type { ChainConfig } from "../../targets/chain/config.ts";
import type { Variant } from "../../targets/chain/variants.ts";
import { MemoryStorage } from "../../targets/lib/durable.ts";
import type { Body, Message } from "../../targets/lib/node.ts";
import { SimNetworkWithServices } from "./sim-services.ts";

const IDS = ["n1", "n2", "n3"];

class ChainSim {
  readonly net: SimNetworkWithServices;
  readonly disks = new Map<string, MemoryStorage>();
  readonly nodes = new Map<string, ChainNode>();
  /** Every message a node sent a client, in order (src says who answered). */
  readonly toClients: Message[] = [];
  private nextMsg = 1;

  constructor(
    seed: number,
    readonly variant: Variant = "correct",
    readonly ids = IDS,
    dropRate = 0,
  ) {
    this.net = new SimNetworkWithServices(ids, { seed, dropRate }, [0.5, 2]);
    this.net.onClientMessage = (m) => this.toClients.push(m);
    for (const id of ids) {
      this.disks.set(id, new MemoryStorage());
      this.start(id);
    }
  }

  start(id: string): void {
    this.net.start(id, (node) => {
      const storage = this.disks.get(id)!;
      this.nodes.set(
        id,
        new ChainNode(node, { ...DEFAULT_OPTIONS, variant: this.variant, storage }),
      );
    });
  }

  crash(id: string): void {
    this.net.crash(id);
    this.nodes.delete(id);
  }

  /** The configuration in the master's store (lin-kv). */
  get config(): ChainConfig {
    return this.net.linKv.get(CONFIG_KEY) as ChainConfig;
  }

  get chain(): string[] {
    return ids(this.config);
  }

  /** Run, checking after every event that each member's updates are a prefix of its
   *  predecessor's [C2] (by sequence number, among members that have adopted the epoch). */
  run(ms: number): void {
    this.net.run(ms, this.checkPrefixes);
  }

  checkPrefixes = (): void => {
    const config = this.net.linKv.get(CONFIG_KEY) as ChainConfig | undefined;
    if (!config) return;
    const current = config.chain
      .map((m) => this.nodes.get(m.id))
      .filter(
        (n): n is ChainNode => n !== undefined && n.member && n.config?.epoch === config.epoch,
      );
    for (let i = 1; i < current.length; i++) {
      const [a, b] = [current[i - 1]!, current[i]!];
      assert.ok(
        b.replica.lastSeq <= a.replica.lastSeq,
        `${b.node.id} (seq ${b.replica.lastSeq}) is ahead of its predecessor ${a.node.id} (seq ${a.replica.lastSeq}) in epoch ${config.epoch}`,
      );
    }
  };

  /** Send a client request and run until its answer arrives (or `ms` pass). */
  request(dest: string, body: Omit<Body, "msg_id">, ms = 2000): Message | undefined {
    const msgId = this.nextMsg++;
    this.net.clientRequest("c1", dest, { ...body, msg_id: msgId } as Body);
    const until = this.net.now + ms;
    while (this.net.now < until) {
      this.run(5);
      const reply = this.toClients.find((m) => m.body.in_reply_to === msgId);
      if (reply) return reply;
    }
    return undefined;
  }

  /** Send a request without waiting; its answer (if any) shows in toClients. */
  fire(dest: string, body: Omit<Body, "msg_id">): number {
    const msgId = this.nextMsg++;
    this.net.clientRequest("c1", dest, { ...body, msg_id: msgId } as Body);
    return msgId;
  }

  answerTo(msgId: number): Message | undefined {
    return this.toClients.find((m) => m.body.in_reply_to === msgId);
  }

  write(dest: string, key: string, value: unknown): Body | undefined {
    return this.request(dest, { type: "write", key, value })?.body;
  }

  read(dest: string, key: string): Body | undefined {
    return this.request(dest, { type: "read", key })?.body;
  }

  /** Run until the chain is `expected`, every node in it has adopted that epoch and the tail
   *  is active (or, with `activeTail` false, whatever the tail's state). */
  settle(expected: string[], ms = 5000, activeTail = true): void {
    const until = this.net.now + ms;
    while (this.net.now < until) {
      this.run(5);
      const c = this.config;
      if (
        c &&
        JSON.stringify(ids(c)) === JSON.stringify(expected) &&
        expected.every((id) => this.nodes.get(id)?.config?.epoch === c.epoch) &&
        (!activeTail || this.nodes.get(expected.at(-1)!)?.active)
      )
        return;
    }
    assert.fail(`chain is ${this.chain.join(",")} after ${ms} ms, expected ${expected.join(",")}`);
  }
}

/** A started chain: the first configuration adopted and the tail active. */
function started(seed: number, variant: Variant = "correct", ids = IDS, dropRate = 0): ChainSim {
  const c = new ChainSim(seed, variant, ids, dropRate);
  c.run(500);
  assert.deepEqual(c.chain, ids);
  assert.ok(c.nodes.get(ids.at(-1)!)!.active, "the tail is active");
  return c;
}

// ---- the rules, one by one ---------------------------------------------------------------

test("[C1] writes and cas enter at the head, from any node, and the head decides a cas", () => {
  const c = started(1);
  assert.equal(c.write("n3", "k", 1)?.type, "write_ok");
  assert.equal(c.nodes.get("n1")!.replica.lastSeq, 1, "the head numbered the update");
  // A cas right behind a write still on its way down the chain is decided on the head's
  // newest state: both are fired at once, through two different nodes.
  const w = c.fire("n1", { type: "write", key: "k", value: 2 });
  const cas = c.fire("n2", { type: "cas", key: "k", from: 2, to: 3 });
  c.run(200);
  assert.equal(c.answerTo(w)?.body.type, "write_ok");
  assert.equal(c.answerTo(cas)?.body.type, "cas_ok");
  assert.equal(c.request("n2", { type: "cas", key: "k", from: 2, to: 4 })?.body.code, 22);
  assert.equal(c.request("n3", { type: "cas", key: "none", from: 1, to: 2 })?.body.code, 20);
  assert.deepEqual(c.read("n1", "k"), { type: "read_ok", value: 3, in_reply_to: 6 });
  // Every update, the failed cas included, was numbered by the head and reached everyone.
  for (const id of IDS) assert.equal(c.nodes.get(id)!.replica.lastSeq, 5, id);
});

test("[C1] a node cut off from the head answers a write at once: certainly not done", () => {
  const c = started(16);
  c.net.partition(["n3"], ["n1", "n2"]);
  c.run(600); // n3 has not heard from the head for longer than heardWithinMs
  const sent = c.net.now;
  const r = c.request("n3", { type: "write", key: "k", value: 1 });
  assert.equal(r?.body.code, 11, JSON.stringify(r?.body));
  assert.ok(c.net.now - sent <= 10, "the answer waited");
  assert.equal(c.nodes.get("n1")!.replica.lastSeq, 0, "the write was done anyway");
});

test("[C2] over a lossy network every node applies the same updates in the same order", () => {
  const c = started(2, "correct", ["n1", "n2", "n3", "n4"], 0.2);
  let acked = 0;
  for (let i = 0; i < 60; i++) {
    const r = c.request(IDS[i % 3]!, { type: "write", key: `k${i % 4}`, value: i }, 3000);
    if (r?.body.type === "write_ok") acked++;
  }
  c.run(2000);
  assert.ok(acked > 30, `only ${acked} writes acknowledged`);
  const seqs = [...c.nodes.values()].map((n) => n.replica.lastSeq);
  const states = [...c.nodes.values()].map((n) => JSON.stringify(n.replica.kv.entries()));
  assert.equal(new Set(seqs).size, 1, `last seqs differ: ${seqs}`);
  assert.equal(new Set(states).size, 1, `states differ: ${states.join(" | ")}`);
});

test("[C3] the tail answers an update, and only once the update is at the tail", () => {
  const c = started(3);
  const ok = c.request("n1", { type: "write", key: "k", value: 1 });
  assert.equal(ok?.src, "n3", "answered by the tail");
  // Cut the middle from the tail: the update stops at n2, and nobody answers it.
  c.net.partition(["n2"], ["n3"]);
  const w = c.fire("n1", { type: "write", key: "k", value: 2 });
  c.run(300);
  assert.equal(c.nodes.get("n2")!.replica.lastSeq, 2);
  assert.equal(c.answerTo(w), undefined, "answered before the tail had it");
  // The link heals before anyone is suspected: n2 re-sends, and the tail answers.
  c.net.heal();
  c.run(200);
  assert.equal(c.answerTo(w)?.src, "n3");
  assert.equal(c.answerTo(w)?.body.type, "write_ok");
});

test("[C4] queries are answered by the tail, from any node, at once", () => {
  const c = started(4);
  c.write("n2", "k", 1);
  for (const id of IDS) {
    const r = c.request(id, { type: "read", key: "k" });
    assert.equal(r?.src, "n3", `a read sent to ${id} answered by the tail`);
    assert.equal(r?.body.value, 1);
  }
  // The tail does not wait for an update still in the chain: the read shows the old value.
  c.net.partition(["n2"], ["n3"]);
  c.fire("n1", { type: "write", key: "k", value: 2 });
  c.run(100);
  assert.equal(c.read("n3", "k")?.value, 1);
});

test("[C5] nodes refuse chain messages of an older epoch", () => {
  const c = started(5);
  c.write("n1", "k", 1);
  // n1 is cut off; n2 removes it and heads epoch 2.
  c.net.partition(["n1"], ["n2", "n3"]);
  c.settle(["n2", "n3"]);
  c.net.heal();
  c.crash("n1");
  const n2 = c.nodes.get("n2")!;
  const seq = n2.replica.lastSeq;
  const update = (epoch: number) => ({
    type: "chain_update",
    epoch,
    handover: seq,
    updates: [{ seq: seq + 1, effect: { key: "k", value: 99 }, reply: { type: "write_ok" } }],
  });
  // An update n1 sent in epoch 1 (say, delayed in the network) is refused by n2...
  c.net.clientRequest("n1", "n2", update(1));
  c.run(50);
  assert.equal(n2.replica.lastSeq, seq, "an update of an older epoch was applied");
  // ...and so is one of the current epoch from a node that is not n2's predecessor.
  c.net.clientRequest("n1", "n2", update(2));
  c.run(50);
  assert.equal(n2.replica.lastSeq, seq, "an update from a non-predecessor was applied");
  // The chain of the current epoch works.
  assert.equal(c.write("n3", "k", 2)?.type, "write_ok");
  assert.equal(c.read("n2", "k")?.value, 2);
});

test("[C5] [C6] head failure: the next node heads the chain, nothing acknowledged is lost", () => {
  const c = started(6);
  for (let i = 1; i <= 5; i++) assert.equal(c.write("n2", "k", i)?.type, "write_ok");
  c.crash("n1");
  c.settle(["n2", "n3"]);
  assert.equal(c.read("n3", "k")?.value, 5);
  assert.equal(c.write("n3", "k", 6)?.type, "write_ok");
  assert.equal(c.request("n2", { type: "cas", key: "k", from: 6, to: 7 })?.body.type, "cas_ok");
  assert.equal(c.read("n2", "k")?.value, 7);
});

test("[C5] [C6] middle failure: the updates it had not passed on are re-sent to its successor", () => {
  const c = started(7);
  assert.equal(c.write("n1", "k", 1)?.type, "write_ok");
  // n2 gets (and acknowledges) the update but cannot pass it to n3; then n2 crashes.
  c.net.partition(["n2"], ["n3"]);
  const w = c.fire("n1", { type: "write", key: "k", value: 2 });
  c.run(100);
  assert.equal(c.nodes.get("n2")!.replica.lastSeq, 2);
  assert.equal(c.nodes.get("n3")!.replica.lastSeq, 1);
  c.crash("n2");
  c.net.heal();
  c.settle(["n1", "n3"]);
  c.run(300);
  // The head re-sent the update to its new successor, the tail, which answered the client.
  assert.equal(c.nodes.get("n3")!.replica.lastSeq, 2);
  assert.equal(c.answerTo(w)?.body.type, "write_ok");
  assert.equal(c.answerTo(w)?.src, "n3");
  assert.equal(c.read("n1", "k")?.value, 2);
});

test("[C5] [C6] tail failure: its predecessor becomes the tail and holds every acknowledged update", () => {
  const c = started(8);
  for (let i = 1; i <= 5; i++) assert.equal(c.write("n1", "k", i)?.type, "write_ok");
  c.crash("n3");
  c.settle(["n1", "n2"]);
  c.run(200);
  assert.ok(c.nodes.get("n2")!.active, "the new tail serves queries");
  assert.equal(c.read("n1", "k")?.value, 5);
  assert.equal(c.write("n1", "k", 6)?.type, "write_ok");
  assert.equal(c.read("n2", "k")?.value, 6);
});

test("[C6] a joining tail answers no query before it holds what its predecessor held", () => {
  const c = started(9);
  for (let i = 1; i <= 3; i++) c.write("n1", "k", i);
  c.crash("n3");
  c.settle(["n1", "n2"]);
  for (let i = 4; i <= 6; i++) c.write("n1", "k", i);
  // n3 comes back and joins as the tail; the moment the master's key names it, it is cut
  // off from its predecessor n2, so no state transfer reaches it. It must not answer queries
  // with its (empty) state.
  c.start("n3");
  for (let t = 0; t < 5000 && !c.chain.includes("n3"); t++) c.run(1);
  c.net.partition(["n3"], ["n2"]);
  c.settle(["n1", "n2", "n3"], 1000, false);
  const joined = c.nodes.get("n3")!;
  assert.equal(joined.replica.lastSeq, 0, "the removed node discarded its state");
  assert.equal(joined.active, false);
  const r = c.read("n3", "k");
  assert.equal(r?.code, 11, `a new tail without the state answered ${JSON.stringify(r)}`);
  // A tail that has not caught up does not remove its predecessor (the only holder of the
  // state); n2 removes the silent n3 instead, and n3 joins again once the cut heals.
  c.run(2000);
  assert.ok(c.chain.includes("n2"), `the chain dropped n2: ${c.chain}`);
  c.net.heal();
  c.settle(["n1", "n2", "n3"], 8000);
  c.run(500);
  assert.equal(c.read("n3", "k")?.value, 6);
  assert.equal(c.nodes.get("n3")!.replica.lastSeq, c.nodes.get("n1")!.replica.lastSeq);
});

test("[C7] a tail cut off and replaced stops answering queries", () => {
  for (const variant of ["correct", "unconfirmed-tail-reads"] as const) {
    const c = started(10, variant);
    c.write("n1", "k", 1);
    c.net.partition(["n3"], ["n1", "n2"]);
    c.settle(["n1", "n2"]);
    assert.equal(c.write("n1", "k", 2)?.type, "write_ok");
    const old = c.nodes.get("n3")!;
    const r = c.read("n3", "k");
    if (variant === "correct") {
      assert.notEqual(r?.value, 1, "correct chain: the removed tail served a stale read");
      assert.equal(old.member, false, "the confirmation told it it was removed");
    } else {
      assert.equal(r?.value, 1, "unconfirmed-tail-reads: expected the stale value");
    }
  }
});

test("[C7] a paused tail, replaced meanwhile, does not answer the reads that waited for it", () => {
  for (const variant of ["correct", "unconfirmed-tail-reads"] as const) {
    const c = started(15, variant);
    c.write("n1", "k", 1);
    c.net.pause("n3");
    c.settle(["n1", "n2"]);
    assert.equal(c.write("n1", "k", 2)?.type, "write_ok");
    // A client's read reaches the frozen tail and waits; on resume it is the first thing the
    // old tail handles, before its next look at the configuration.
    const read = c.fire("n3", { type: "read", key: "k" });
    c.run(100);
    c.net.resume("n3");
    c.run(200);
    const r = c.answerTo(read)?.body;
    if (variant === "correct") assert.equal(r?.code, 11, JSON.stringify(r));
    else assert.equal(r?.value, 1, "unconfirmed-tail-reads: expected the stale value");
  }
});

test("[C8] a chain killed whole recovers every acknowledged update from disk", () => {
  const c = started(11);
  for (let i = 1; i <= 5; i++) c.write(IDS[i % 3]!, `k${i % 2}`, i);
  for (const id of IDS) c.crash(id);
  c.run(300);
  for (const id of IDS) c.start(id);
  c.run(1500);
  assert.deepEqual(c.chain, IDS, "nobody was removed");
  assert.equal(c.read("n1", "k0")?.value, 4);
  assert.equal(c.read("n2", "k1")?.value, 5);
  assert.equal(c.write("n3", "k0", 6)?.type, "write_ok");
});

test("[C8] a removed head restarts, discards what only it had, and joins as the tail", () => {
  const c = started(12);
  c.write("n1", "k", 1);
  // The head takes an update nobody else gets, then crashes.
  c.net.partition(["n1"], ["n2", "n3"]);
  c.fire("n1", { type: "write", key: "k", value: 2 });
  c.run(20);
  assert.equal(c.nodes.get("n1")!.replica.lastSeq, 2);
  c.crash("n1");
  c.net.heal();
  c.settle(["n2", "n3"]);
  c.write("n2", "other", 3);
  c.start("n1");
  c.settle(["n2", "n3", "n1"]);
  c.run(500);
  const n1 = c.nodes.get("n1")!;
  assert.ok(n1.active, "the rejoined node is an active tail");
  assert.equal(n1.replica.lastSeq, c.nodes.get("n2")!.replica.lastSeq);
  assert.deepEqual(n1.replica.kv.read("k"), { type: "read_ok", value: 1 });
  assert.equal(c.read("n2", "k")?.value, 1);
});

// ---- the variants' flaws, each against the correct chain -----------------------------------

test("head-replies: a head cut off acknowledges writes that are then lost (correct: no answer)", () => {
  for (const variant of ["correct", "head-replies"] as const) {
    const c = started(13, variant);
    c.write("n2", "k", 1);
    c.run(100); // (head-replies answered before the write was anywhere but at the head)
    c.net.partition(["n1"], ["n2", "n3"]);
    const w = c.fire("n1", { type: "write", key: "k", value: 2 });
    c.settle(["n2", "n3"]);
    c.net.heal();
    const answer = c.answerTo(w)?.body.type;
    const after = c.read("n2", "k")?.value;
    assert.equal(after, 1, "the cut-off head's write never entered the new chain");
    if (variant === "head-replies") assert.equal(answer, "write_ok", "expected a lost ack");
    else assert.notEqual(answer, "write_ok", "correct chain acknowledged a lost write");
  }
});

test("non-tail-reads: the head shows an update that is not yet at the tail (correct: the tail's)", () => {
  for (const variant of ["correct", "non-tail-reads"] as const) {
    const c = started(14, variant);
    c.write("n1", "k", 1);
    c.net.partition(["n2"], ["n3"]);
    c.fire("n1", { type: "write", key: "k", value: 2 });
    c.run(50);
    const atHead = c.read("n1", "k");
    // After this read of 2 completes, the tail still says 1: not linearizable.
    const atTail = c.read("n3", "k");
    assert.equal(atTail?.value, 1);
    if (variant === "non-tail-reads") assert.equal(atHead?.value, 2);
    else assert.equal(atHead?.value, 1);
  }
});

// ---- random workloads under faults, judged by the linearizability checker --------------------

interface Workload {
  history: Op[];
  acked: number;
  sim: ChainSim;
}

interface RunOptions {
  ids?: string[];
  /** "one": the head, the tail or any one node; "many": any number, up to all of them. */
  faults?: "one" | "many";
  durationMs?: number;
  clients?: number;
}

/** Clients doing Faultline's lin-kv mix (60% reads, unique values, cas from the last value
 *  written) against random nodes with a 1 s timeout, while a nemesis crashes and restarts,
 *  pauses and resumes, or cuts off nodes every second or two. */
function randomRun(seed: number, variant: Variant, opts: RunOptions = {}): Workload {
  const { ids = IDS, faults: size = "one", durationMs = 20_000, clients = 6 } = opts;
  const c = new ChainSim(seed, variant, ids);
  const net = c.net;
  const rnd = net.random;
  const history: Op[] = [];
  const record = (op: Omit<Op, "index" | "time">) =>
    history.push({ ...op, index: history.length, time: Math.round(net.now * 1e6) } as Op);
  const pending = new Map<string, (body?: Body) => void>();
  net.onClientMessage = (m) => {
    const k = `${m.dest}:${m.body.in_reply_to}`;
    const done = pending.get(k);
    pending.delete(k);
    done?.(m.body);
  };
  let fresh = 0;
  let nextProcess = clients;
  let acked = 0;
  const last = new Map<string, number>();
  let msgId = 1;
  const end = durationMs;
  const client = (process: number) => {
    if (net.now >= end) return;
    const key = `k${Math.floor(rnd() * 3)}`;
    const x = rnd();
    let op: { f: string; key: string; value?: unknown };
    if (x < 0.6) op = { f: "read", key };
    else {
      const value = ++fresh;
      const expected = last.get(key);
      last.set(key, value);
      op =
        x < 0.8 || expected === undefined
          ? { f: "write", key, value }
          : { f: "cas", key, value: [expected, value] };
    }
    const body: Body =
      op.f === "read"
        ? { type: "read", key }
        : op.f === "write"
          ? { type: "write", key, value: op.value }
          : { type: "cas", key, from: (op.value as number[])[0], to: (op.value as number[])[1] };
    const id = msgId++;
    const name = `c${process}`;
    record({ process, type: "invoke", ...op });
    const timer = net.schedule(1000, () => finish(undefined));
    const finish = (reply?: Body) => {
      timer.cancel();
      pending.delete(`${name}:${id}`);
      let next = process;
      if (!reply || (reply.type === "error" && (reply.code === 0 || reply.code === 13))) {
        record({ process, type: "info", ...op });
        next = nextProcess++;
      } else if (reply.type === "error") {
        if (op.f === "read" && reply.code === 20)
          record({ process, type: "ok", f: "read", key, value: null });
        else record({ process, type: "fail", ...op, error: reply.code });
      } else {
        if (op.f !== "read") acked++;
        record({ process, type: "ok", ...op, ...(op.f === "read" ? { value: reply.value } : {}) });
      }
      net.schedule(5 + rnd() * 20, () => client(next));
    };
    pending.set(`${name}:${id}`, finish);
    net.clientRequest(name, ids[Math.floor(rnd() * ids.length)]!, { ...body, msg_id: id });
  };
  for (let p = 0; p < clients; p++) net.schedule(rnd() * 50, () => client(p));

  // The nemesis: a fault every 1-2 s, healed 1-2 s later.
  const victims = (): string[] => {
    if (size === "many") {
      const shuffled = [...ids].sort(() => rnd() - 0.5);
      return shuffled.slice(0, 1 + Math.floor(rnd() * ids.length));
    }
    const chain = c.chain;
    return [[chain[0]!], [chain.at(-1)!], [ids[Math.floor(rnd() * ids.length)]!]][
      Math.floor(rnd() * 3)
    ]!;
  };
  const faults = () => {
    if (net.now >= end - 3000) return;
    const picked = victims();
    const hold = 1000 + rnd() * 1000;
    const kind = rnd();
    if (kind < 1 / 3) {
      for (const v of picked) c.crash(v);
      net.schedule(hold, () => picked.forEach((v) => c.start(v)));
    } else if (kind < 2 / 3) {
      for (const v of picked) net.pause(v);
      net.schedule(hold, () => picked.forEach((v) => net.resume(v)));
    } else {
      net.partition(
        picked,
        ids.filter((id) => !picked.includes(id)),
      );
      net.schedule(hold, () => net.heal());
    }
    net.schedule(hold + 1000 + rnd() * 1000, faults);
  };
  net.schedule(1000, faults);
  c.run(durationMs + 3000);
  return { history, acked, sim: c };
}

/** Run the correct chain; its history must be linearizable, and once the faults are over
 *  every node must be back in the chain with the same state. */
async function assertCorrect(seed: number, opts: RunOptions): Promise<void> {
  const ids = opts.ids ?? IDS;
  const { history, acked, sim } = randomRun(seed, "correct", opts);
  assert.ok(acked > 100, `seed ${seed}: only ${acked} updates acknowledged`);
  const result = await checkLinearizable(history, { model: "kv" });
  assert.equal(result.valid, true, `seed ${seed}: ${JSON.stringify(result.explanation)}`);
  sim.run(5000);
  assert.deepEqual([...sim.chain].sort(), ids, `seed ${seed}: chain ${sim.chain}`);
  const states = [...sim.nodes.values()].map((n) => JSON.stringify(n.replica.snapshot()));
  assert.equal(new Set(states).size, 1, `seed ${seed}: states differ: ${states.join(" | ")}`);
}

test("correct chain stays linearizable under crashes, pauses and partitions of one node, and heals", async () => {
  for (let seed = 1; seed <= 8; seed++) await assertCorrect(seed, {});
});

test("correct chain stays linearizable when several nodes, or all, fail at once (3 and 5 nodes)", async () => {
  for (let seed = 11; seed <= 15; seed++) await assertCorrect(seed, { faults: "many" });
  const five = ["n1", "n2", "n3", "n4", "n5"];
  for (let seed = 21; seed <= 23; seed++) await assertCorrect(seed, { faults: "many", ids: five });
});

for (const variant of ["head-replies", "non-tail-reads", "unconfirmed-tail-reads"] as const) {
  test(`${variant} is found not linearizable under the same faults`, async () => {
    let caught = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const { history } = randomRun(seed, variant);
      if ((await checkLinearizable(history, { model: "kv" })).valid === false) caught++;
    }
    assert.ok(caught >= 2, `${variant} caught in only ${caught} of 4 seeds`);
  });
}
