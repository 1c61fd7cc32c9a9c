// PBFT's rules [B1]-[B11] checked on a deterministic simulated network (no Docker): the real
// replica code, seeded delays, drops, partitions, crashes and restarts with the replica's
// "disk" kept, and a tampering host. Judges: every nonfaulty replica executes the same
// requests in the same order (the harness's replica-agreement checker), and the clients'
// history is linearizable (the harness's linearizability checker, kv model).
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkLinearizable } from "../../checkers/linearizable/index.ts";
import { checkReplicaAgreement } from "../../checkers/replica-agreement/index.ts";
import type { Op } from "../../histories/op.ts";
import { ERRORS, errorKind } from "../../targets/host/errors.ts";
import { MemoryStorage } from "../../targets/lib/durable.ts";
import type { Body, Message } from "../../targets/lib/node.ts";
import { hmacSigner, ed25519Signer } from "../../targets/pbft/crypto.ts";
import { DEFAULT_OPTIONS, Pbft } from "../../targets/pbft/pbft.ts";
import type { Variant } from "../../targets/pbft/variants.ts";
import { SimNetwork, seededRandom } from "./sim-network.ts";
import { BYZANTINE_ACTIONS } from "../../targets/host/interceptors/rule.ts";

const IDS4 = ["n1", "n2", "n3", "n4"];

/** A host that changes what one replica sends (a traitor's host): the mutation applies to
 *  every node-to-node message from `traitor`. */
type Tamper = (msg: Message) => Message | undefined;

class SimCluster {
  readonly net: SimNetwork;
  readonly disks = new Map<string, MemoryStorage>();
  readonly replicas = new Map<string, Pbft>();
  private nextMsg = 1;

  constructor(
    seed: number,
    readonly variant: Variant = "correct",
    readonly ids = IDS4,
    dropRate = 0,
    readonly signer: "hmac" | "ed25519" = "hmac",
    tamper?: { traitor: string; change: Tamper },
  ) {
    this.net = new SimNetwork(ids, { seed, dropRate, authenticated: true });
    if (tamper) {
      const send = this.net.send.bind(this.net);
      this.net.send = (msg: Message) => {
        if (msg.src !== tamper.traitor || !ids.includes(msg.dest)) return send(msg);
        const changed = tamper.change(JSON.parse(JSON.stringify(msg)) as Message);
        if (changed) send(changed);
      };
    }
    for (const id of ids) {
      this.disks.set(id, new MemoryStorage());
      this.start(id);
    }
  }

  start(id: string): void {
    this.net.start(id, (node) => {
      if (process.env.PBFT_SIM_LOG)
        (node as unknown as { log: (l: string) => void }).log = (l) =>
          console.log(`${this.net.now.toFixed(0)} ${id} ${l}`);
      const storage = this.disks.get(id)!;
      this.replicas.set(
        id,
        new Pbft(node, {
          ...DEFAULT_OPTIONS,
          variant: this.variant,
          storage,
          signer: (self, ids) =>
            this.signer === "hmac" ? hmacSigner("sim", self) : ed25519Signer("sim", self, ids),
        }),
      );
    });
  }

  crash(id: string): void {
    this.net.crash(id);
    this.replicas.delete(id);
  }

  run(ms: number): void {
    this.net.run(ms);
  }

  primary(): string | undefined {
    let best: Pbft | undefined;
    for (const r of this.replicas.values())
      if (r.isPrimary && (!best || r.view > best.view)) best = r;
    return best?.node.id;
  }

  /** Send a client request and run until its reply arrives (or `ms` pass). */
  request(dest: string, body: Omit<Body, "msg_id">, ms = 3000): Body | undefined {
    const msgId = this.nextMsg++;
    this.net.clientRequest("c0", dest, { ...body, msg_id: msgId } as Body);
    const until = this.net.now + ms;
    while (this.net.now < until) {
      this.run(10);
      const reply = this.net.clientInbox.find(
        (m) => m.dest === "c0" && m.body.in_reply_to === msgId,
      );
      if (reply) return reply.body;
    }
    return undefined;
  }

  logs(ids = this.ids): string[][] {
    return ids.map((id) => this.replicas.get(id)?.executedLog ?? []);
  }
}

/** Every replica's log is a prefix of the longest one. */
function assertPrefixes(logs: string[][]): void {
  const longest = logs.reduce((a, b) => (b.length > a.length ? b : a), []);
  for (const log of logs) assert.deepEqual(log, longest.slice(0, log.length));
}

test("[B3]-[B6] normal case: 4 replicas order writes, reads and cas sent to any replica, one log", () => {
  const c = new SimCluster(1);
  c.run(100);
  assert.equal(c.primary(), "n1");
  assert.equal(c.request("n1", { type: "write", key: "k", value: 1 })?.type, "write_ok");
  assert.equal(c.request("n2", { type: "read", key: "k" })?.value, 1);
  assert.equal(c.request("n3", { type: "cas", key: "k", from: 1, to: 2 })?.type, "cas_ok");
  assert.equal(c.request("n4", { type: "cas", key: "k", from: 1, to: 3 })?.code, 22);
  assert.equal(c.request("n2", { type: "read", key: "missing" })?.code, 20);
  c.run(500);
  const logs = c.logs();
  assert.equal(logs[0]!.length, 5);
  for (const log of logs) assert.deepEqual(log, logs[0]);
  assert.match(logs[0]![0]!, /^n1:\w+:1 write k 1$/);
});

test("[B7] [B8] a silent primary (alive, answering nothing) is replaced by a view change and the service continues", () => {
  const c = new SimCluster(2, "correct", IDS4, 0, "hmac", {
    traitor: "n1",
    change: () => undefined,
  });
  c.run(100);
  assert.equal(c.request("n2", { type: "write", key: "k", value: 1 }, 6000)?.type, "write_ok");
  assert.equal(c.request("n3", { type: "read", key: "k" }, 6000)?.value, 1);
  const views = [...c.replicas.values()].map((r) => r.view);
  assert.ok(Math.min(...views.slice(1)) >= 1, `views ${views.join(",")}`);
  assert.equal(c.primary(), "n2");
  assertPrefixes(c.logs(["n2", "n3", "n4"]));
  assert.ok(c.logs()[1]!.length >= 2);
});

/** Flip every value field of a message body (what a traitor's host does to values). */
function flipValues(msg: Message): Message {
  const flip = (v: unknown): unknown =>
    typeof v === "number"
      ? v + 1
      : typeof v === "string"
        ? `${v}x`
        : Array.isArray(v)
          ? v.map(flip)
          : v && typeof v === "object"
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === "type" ? x : flip(x)]))
            : v;
  const { type, msg_id, in_reply_to, ...rest } = msg.body;
  return { ...msg, body: { type, msg_id, in_reply_to, ...(flip(rest) as object) } as Body };
}

test("[B2] a replica whose messages are changed in transit, or forged as another's, is ignored (Ed25519)", () => {
  for (const [name, change] of [
    ["flip", flipValues],
    ["forge", (m: Message) => ({ ...m, src: "n1" })],
  ] as const) {
    const c = new SimCluster(3, "correct", IDS4, 0, "ed25519", { traitor: "n3", change });
    c.run(100);
    for (let i = 1; i <= 4; i++)
      assert.equal(
        c.request(IDS4[i % 2 === 0 ? 1 : 3]!, { type: "write", key: "k", value: i }, 6000)?.type,
        "write_ok",
        `${name}: write ${i}`,
      );
    assert.equal(c.request("n2", { type: "read", key: "k" }, 6000)?.value, 4, name);
    c.run(1000);
    const logs = c.logs(["n1", "n2", "n4"]);
    assertPrefixes(logs);
    // Nothing the traitor's host changed was executed: every write is one a client asked for.
    for (const e of logs[0]!) assert.doesNotMatch(e, /x\b|write k [5-9]/, `${name}: ${e}`);
    assert.ok(logs[0]!.length >= 5, `${name}: ${logs[0]!.length} executed`);
  }
});

/** A backup cut off while the others commit, back just as the primary is cut off (the default
 *  nemesis's isolate-one and its handover): its own client's request made it ask for a view
 *  change while cut off, so it takes part in the next one while behind. */
function laggingBackupAtViewChange(c: SimCluster): void {
  c.run(100);
  c.net.partition(["n4"], ["n1", "n2", "n3"]);
  assert.equal(c.request("n4", { type: "write", key: "j", value: 0 }, 2000), undefined);
  for (let i = 1; i <= 21; i++) c.request(IDS4[i % 3]!, { type: "write", key: "k", value: i });
  c.net.heal();
  c.net.partition(["n1"], ["n2", "n3", "n4"]);
  for (let i = 22; i <= 26; i++)
    c.request(IDS4[1 + (i % 3)]!, { type: "write", key: "k", value: i }, 8000);
  c.run(3000);
  c.net.heal();
  c.run(3000);
}

test("[B8] [B10] a backup behind at a view change executes what the others executed (correct)", () => {
  const c = new SimCluster(4);
  laggingBackupAtViewChange(c);
  assert.ok(Math.min(...[...c.replicas.values()].map((r) => r.view)) >= 1);
  assertPrefixes(c.logs());
  assert.ok(c.logs()[3]!.length >= 26, `n4 executed ${c.logs()[3]!.length}`);
  assert.equal(c.request("n4", { type: "read", key: "k" })?.value, 26);
});

for (const variant of ["few-prepares", "ignore-certificates"] as const) {
  test(`${variant}: the backup behind at a view change executes other requests than the others`, () => {
    const c = new SimCluster(4, variant);
    laggingBackupAtViewChange(c);
    assert.throws(() => assertPrefixes(c.logs()));
  });
}

test("[B11] a replica restarted from its disk keeps its log and catches up with what it missed", () => {
  const c = new SimCluster(5);
  c.run(100);
  for (let i = 1; i <= 5; i++) c.request("n2", { type: "write", key: "k", value: i });
  c.crash("n3");
  for (let i = 6; i <= 30; i++) c.request("n2", { type: "write", key: "k", value: i });
  c.start("n3");
  c.run(2000);
  const n3 = c.replicas.get("n3")!;
  assert.ok(n3.executed >= 24, `n3 executed ${n3.executed}`); // up to the stable checkpoint
  assert.equal(c.request("n3", { type: "read", key: "k" })?.value, 30);
  assertPrefixes(c.logs());
});

interface InFlight {
  process: number;
  op: { f: string; key?: string; value: unknown };
  msgId: number;
  deadline: number;
}

/** Clients issuing lin-kv ops on 3 keys to random replicas while random faults hit the
 *  cluster (the primary or any replica isolated, a backup back as the primary is cut off,
 *  halves, one replica or the primary crashed and restarted, 2% loss), or with `traitor`
 *  instead (4 replicas tolerate one fault in all) a replica whose host flips every value it
 *  sends, and 2% loss; the history they record, with
 *  every replica's executed log asked for at the end and the traitor's windows as nemesis
 *  ops. */
function chaos(seed: number, variant: Variant, seconds: number, traitor = false): Op[] {
  const c = new SimCluster(seed, variant, IDS4, 0.02);
  const rng = seededRandom(seed * 7919);
  const history: Op[] = [];
  const record = (op: Omit<Op, "index" | "time">) =>
    history.push({ ...op, index: history.length, time: c.net.now * 1e6 } as Op);
  let tampering: string | undefined;
  if (traitor) {
    const send = c.net.send.bind(c.net);
    c.net.send = (msg: Message) =>
      send(msg.src === tampering && IDS4.includes(msg.dest) ? flipValues(msg) : msg);
  }
  const clients = ["c1", "c2", "c3", "c4", "c5", "c6"];
  const inFlight = new Map<string, InFlight>();
  let nextProcess = 0;
  const processOf = new Map(clients.map((cl) => [cl, nextProcess++]));
  let fresh = 0;
  let msgId = 1;
  const pick = <T>(xs: T[]): T => xs[Math.floor(rng() * xs.length)]!;

  const invoke = (client: string): void => {
    const key = `k${Math.floor(rng() * 3)}`;
    const r = rng();
    const process = processOf.get(client)!;
    const op =
      r < 0.5
        ? { f: "read", key, value: null }
        : r < 0.75
          ? { f: "write", key, value: ++fresh }
          : { f: "cas", key, value: [Math.floor(rng() * fresh) + 1, ++fresh] };
    const body: Body =
      op.f === "cas"
        ? { type: "cas", key, from: (op.value as number[])[0], to: (op.value as number[])[1] }
        : op.f === "write"
          ? { type: "write", key, value: op.value }
          : { type: "read", key };
    const id = msgId++;
    const node = pick(IDS4);
    record({ process, ...op, node, type: "invoke" });
    inFlight.set(client, { process, op, msgId: id, deadline: c.net.now + 2000 });
    c.net.clientRequest(client, node, { ...body, msg_id: id });
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
    if (reply.type === "write_ok" || reply.type === "cas_ok")
      return void record({ ...base, type: "ok", value: f.op.value });
    const code = Number(reply.code);
    if (f.op.f === "read" && code === ERRORS.keyDoesNotExist.code)
      return void record({ ...base, type: "ok", value: null });
    if (errorKind(code).definite) return void record({ ...base, type: "fail", value: f.op.value });
    record({ ...base, type: "info", value: f.op.value, error: code });
    processOf.set(client, nextProcess++);
  };

  const others = (id: string) => IDS4.filter((x) => x !== id);
  const faults: (() => (() => void) | void)[] = [
    () => {
      const p = c.primary() ?? "n1";
      c.net.partition([p], others(p));
    },
    () => {
      const one = pick(IDS4.filter((id) => id !== c.primary()));
      c.net.partition([one], others(one));
      // Healed with a handover: the primary is cut off as the isolated replica comes back.
      return () => {
        c.net.heal();
        const p = c.primary();
        if (p) c.net.partition([p], others(p));
      };
    },
    () => {
      const [a, b] = [pick(IDS4), pick(IDS4)];
      const half = a === b ? [a] : [a, b];
      c.net.partition(
        half,
        IDS4.filter((id) => !half.includes(id)),
      );
    },
    () => {
      const p = c.primary() ?? pick(IDS4);
      c.crash(p);
      return () => c.start(p);
    },
    () => {
      const one = pick(IDS4);
      c.crash(one);
      return () => c.start(one);
    },
  ];

  let undo = undefined as (() => void) | undefined;
  let nextFault = 1000;
  let faultOn = false;
  const end = seconds * 1000;
  if (traitor) {
    tampering = pick(IDS4);
    record({ process: "nemesis", type: "invoke", f: "start-byzantine", value: [tampering] });
    record({ process: "nemesis", type: "info", f: "start-byzantine", value: [tampering] });
  }
  while (c.net.now < end) {
    c.run(5);
    for (const cl of clients) {
      const f = inFlight.get(cl);
      if (!f) continue;
      const at = c.net.clientInbox.findIndex(
        (m) => m.dest === cl && m.body.in_reply_to === f.msgId,
      );
      if (at >= 0) complete(cl, f, c.net.clientInbox.splice(at, 1)[0]!.body);
      else if (c.net.now >= f.deadline) complete(cl, f, undefined);
    }
    if (c.net.now < end - 2500) for (const cl of clients) if (!inFlight.has(cl)) invoke(cl);
    if (!traitor && c.net.now >= nextFault && c.net.now < end - 4000) {
      if (faultOn) {
        undo?.();
        if (!undo) c.net.heal();
        undo = undefined;
      } else {
        undo = faults[Math.floor(rng() * faults.length)]!() ?? undefined;
      }
      faultOn = !faultOn;
      nextFault = c.net.now + 800 + rng() * 1200;
    }
    // A handover's second half, or what a crash left cut: healed a second later.
    if (!faultOn && c.net.now >= nextFault - 400) c.net.heal();
  }
  if (faultOn) undo?.();
  c.net.heal();
  c.run(3000);
  if (process.env.PBFT_SIM_LOG)
    for (const r of c.replicas.values())
      console.log(
        `${r.node.id}${r.node.id === tampering ? " (traitor)" : ""}: view ${r.view}${r.changing ? " changing" : ""}, executed ${r.executed}, stable ${r.stable.n}`,
      );
  // Final reads of every key, then every replica's executed log.
  const finalOp = (f: string, node: string, body: Body, key?: string) => {
    const process = nextProcess++;
    record({ process, f, key, node, value: null, type: "invoke" });
    const reply = c.request(node, body, 4000);
    if (reply?.type === "read_ok")
      record({ process, f, key, node, value: reply.value, type: "ok" });
    else if (reply?.type === "executed_log_ok")
      record({ process, f, node, value: reply.log, type: "ok" });
    else if (reply?.code === ERRORS.keyDoesNotExist.code)
      record({ process, f, key, node, value: null, type: "ok" });
    else record({ process, f, key, node, value: null, type: "info" });
  };
  for (const key of ["k0", "k1", "k2"]) finalOp("read", "n2", { type: "read", key }, key);
  for (const node of IDS4) finalOp("executed-log", node, { type: "executed_log" });
  return history;
}

/** What a chaos run shows: replicas that executed different requests at one sequence
 *  number, a history that is not linearizable. */
async function judge(seed: number, variant: Variant, seconds = 20, traitor = false) {
  const history = chaos(seed, variant, seconds, traitor);
  const oks = history.filter((o) => o.type === "ok" && o.f !== "executed-log").length;
  if (process.env.PBFT_SIM_LOG) console.log(`seed ${seed} ${variant}: ${oks} ok`);
  // A traitor's own clients get no answers, and 2% loss stalls the three others each time.
  assert.ok(
    oks > (variant !== "correct" || traitor ? 20 : 100),
    `seed ${seed}: only ${oks} ops completed`,
  );
  const clientOps = history.filter((o) => o.f !== "executed-log");
  const lin = await checkLinearizable(clientOps, { model: "kv", timeLimitMs: 20_000 });
  assert.notEqual(lin.valid, "unknown", `seed ${seed}: the checker could not decide`);
  if (process.env.PBFT_SIM_LOG && lin.valid === false)
    console.log(
      JSON.stringify(lin).slice(0, 300),
      JSON.stringify(history[(lin.explanation as { op: { index: number } }).op.index]),
    );
  const agreement = checkReplicaAgreement(history);
  assert.notEqual(agreement.valid, "unknown", `seed ${seed}: ${agreement.reason}`);
  return {
    agree: agreement.valid === true,
    linearizable: lin.valid === true,
    reason: agreement.reason,
  };
}

test("correct PBFT under random partitions, crashes of the primary or any replica, and 2% loss: replicas agree, linearizable (6 seeds)", async () => {
  for (let seed = 1; seed <= 6; seed++) {
    const r = await judge(seed, "correct");
    assert.deepEqual([r.agree, r.linearizable], [true, true], `seed ${seed}: ${r.reason}`);
  }
});

test("correct PBFT with a traitor (the primary on some seeds) whose host flips every value it sends, and 2% loss: replicas agree, linearizable (4 seeds)", async () => {
  for (let seed = 11; seed <= 14; seed++) {
    const r = await judge(seed, "correct", 20, true);
    assert.deepEqual([r.agree, r.linearizable], [true, true], `seed ${seed}: ${r.reason}`);
  }
});

for (const variant of ["few-prepares", "ignore-certificates"] as const) {
  test(`${variant} under the same random faults: nonfaulty replicas disagree (6 seeds)`, async () => {
    let disagreed = 0;
    let visible = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const r = await judge(seed, variant);
      if (!r.agree) disagreed++;
      if (!r.linearizable) visible++;
    }
    assert.ok(disagreed >= 4, `${variant}: replicas disagreed on ${disagreed} of 6 seeds`);
    console.log(`${variant}: disagreed ${disagreed}/6, not linearizable ${visible}/6`);
  });
}

test("[B2] [B7] with the hosts' own traitor rules (flip, equivocate, forge, replay, silent), on the primary or a backup: the others serve and agree", () => {
  for (const action of BYZANTINE_ACTIONS)
    for (const traitor of ["n1", "n3"]) {
      const c = new SimCluster(21, "correct", IDS4, 0, "ed25519");
      c.net.setRules(traitor, [{ action, seed: 5 }]);
      c.run(100);
      const honest = IDS4.filter((id) => id !== traitor);
      for (let i = 1; i <= 4; i++) {
        const reply = c.request(honest[i % 3]!, { type: "write", key: "k", value: i }, 8000);
        assert.equal(reply?.type, "write_ok", `${action} at ${traitor}: write ${i}`);
      }
      assert.equal(c.request(honest[0]!, { type: "read", key: "k" }, 8000)?.value, 4);
      c.run(1000);
      const logs = c.logs(honest);
      assertPrefixes(logs);
      assert.ok(logs[0]!.length >= 4, `${action} at ${traitor}: ${logs[0]!.length} executed`);
    }
});
