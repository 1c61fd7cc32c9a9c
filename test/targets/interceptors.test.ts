// Each interceptor rule of the node host as a pure function of the messages it is given
// (targets/host/interceptors/): no sockets, a fake clock for the rules that wait.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InterceptorChain } from "../../targets/host/interceptors/chain.ts";
import { parseRules, type MessageRule } from "../../targets/host/interceptors/rule.ts";
import { flipBody, flipValue } from "../../targets/host/interceptors/values.ts";
import { liedTo } from "../../targets/host/interceptors/equivocate.ts";
import { isForged, realSender } from "../../targets/host/interceptors/authenticity.ts";
import { SentLog } from "../../targets/host/interceptors/sent-log.ts";
import { byzantineEnv, byzantineFromEnv } from "../../targets/host/interceptors/byzantine-env.ts";
import type { Message, Outgoing } from "../../targets/host/interceptors/types.ts";

const PEERS = ["n2", "n3", "n4"];

/** A chain on n1 with a fake clock: `sent` collects what leaves (with its delay), `tick`
 *  runs the timers due. */
function harness(rules: MessageRule[], opts: { valueFields?: string[]; log?: SentLog } = {}) {
  const sent: Outgoing[] = [];
  const taken: string[] = [];
  let timers: Array<{ at: number; fn: () => void }> = [];
  let now = 0;
  const log = opts.log ?? new SentLog();
  const chain = new InterceptorChain(
    rules,
    {
      self: "n1",
      peers: PEERS,
      ...(opts.valueFields ? { valueFields: opts.valueFields } : {}),
      sentBefore: (dest) => log.to(dest),
      later: (fn, ms) => timers.push({ at: now + ms, fn }),
      onTaken: (a) => taken.push(a),
    },
    (out) => sent.push(out),
  );
  return {
    sent,
    taken,
    chain,
    send(msg: Message) {
      chain.send(msg);
      log.add(msg);
    },
    tick(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
  };
}

const msg = (dest: string, n: number, extra: Record<string, unknown> = {}): Message => ({
  src: "n1",
  dest,
  body: { type: "vote", msg_id: n, value: "T", round: n, ...extra },
});

test("no rules: every message leaves at once, unchanged", () => {
  const h = harness([]);
  h.send(msg("n2", 1));
  assert.deepEqual(h.sent, [{ msg: msg("n2", 1), delayMs: 0 }]);
});

test("drop loses the messages it takes; probability takes about that share", () => {
  const all = harness([{ action: "drop" }]);
  for (let i = 0; i < 10; i++) all.send(msg("n2", i));
  assert.equal(all.sent.length, 0);
  const half = harness([{ action: "drop", probability: 0.5, seed: 3 }]);
  for (let i = 0; i < 1000; i++) half.send(msg("n2", i));
  assert.ok(half.sent.length > 400 && half.sent.length < 600, `${half.sent.length} of 1000 kept`);
  assert.equal(half.taken.length, 1000 - half.sent.length, "host_stats counts what was taken");
});

test("a rule with dest takes only the messages to those nodes", () => {
  const h = harness([{ action: "drop", dest: ["n3"] }]);
  for (const d of PEERS) h.send(msg(d, 1));
  assert.deepEqual(
    h.sent.map((o) => o.msg.dest),
    ["n2", "n4"],
  );
});

test("delay adds ms, give or take the jitter, never negative", () => {
  const h = harness([{ action: "delay", ms: 100, jitter_ms: 30, seed: 1 }]);
  for (let i = 0; i < 200; i++) h.send(msg("n2", i));
  const delays = h.sent.map((o) => o.delayMs);
  assert.ok(
    delays.every((d) => d >= 70 && d <= 130),
    `delays within 100 ± 30`,
  );
  assert.ok(new Set(delays).size > 100, "jittered, not all the same");
  const flat = harness([{ action: "delay", ms: 40 }]);
  flat.send(msg("n2", 1));
  assert.equal(flat.sent[0]!.delayMs, 40);
});

test("duplicate delivers the message copies more times, each a copy", () => {
  const h = harness([{ action: "duplicate", copies: 2 }]);
  h.send(msg("n2", 7));
  assert.equal(h.sent.length, 3);
  assert.ok(h.sent.every((o) => o.msg.body.msg_id === 7));
  assert.notEqual(h.sent[1]!.msg, h.sent[0]!.msg, "copies are separate objects");
});

test("reorder holds messages per destination and releases them newest first", () => {
  const h = harness([{ action: "reorder", hold: 3, ms: 50 }]);
  h.send(msg("n2", 1));
  h.send(msg("n3", 1));
  h.send(msg("n2", 2));
  assert.equal(h.sent.length, 0, "held");
  h.send(msg("n2", 3));
  assert.deepEqual(
    h.sent.map((o) => `${o.msg.dest}:${o.msg.body.msg_id}`),
    ["n2:3", "n2:2", "n2:1"],
  );
  h.tick(49);
  assert.equal(h.sent.length, 3, "n3's single message waits for its time");
  h.tick(1);
  assert.deepEqual(h.sent.at(-1)!.msg.dest, "n3", "released after ms");
});

test("replacing a chain flushes what reorder holds (healing loses nothing held)", () => {
  const h = harness([{ action: "reorder", hold: 5, ms: 1000 }]);
  h.send(msg("n2", 1));
  h.send(msg("n2", 2));
  h.chain.flush();
  assert.deepEqual(
    h.sent.map((o) => o.msg.body.msg_id),
    [2, 1],
  );
});

test("flipValue changes every kind of value", () => {
  assert.equal(flipValue(true), false);
  assert.equal(flipValue("T"), "F");
  assert.equal(flipValue("F"), "T");
  assert.equal(flipValue(4), 5);
  assert.equal(flipValue("abc"), "abc'");
  assert.deepEqual(flipValue([1, "T", { a: false }]), [2, "F", { a: true }]);
  assert.equal(flipValue(null), null);
});

test("flip changes every value leaf but type, msg_id and in_reply_to", () => {
  const body = { type: "vote", msg_id: 3, in_reply_to: 2, value: "T", path: ["n1"], round: 1 };
  assert.deepEqual(flipBody(body), {
    type: "vote",
    msg_id: 3,
    in_reply_to: 2,
    value: "F",
    path: ["n1'"],
    round: 2,
  });
  const h = harness([{ action: "flip" }]);
  const m = msg("n3", 1);
  h.send(m);
  assert.equal(h.sent[0]!.msg.body.value, "F");
  assert.equal(m.body.value, "T", "the original message is not changed");
});

test("with valueFields, flip changes only those fields", () => {
  const h = harness([{ action: "flip" }], { valueFields: ["value"] });
  h.send(msg("n2", 1));
  assert.deepEqual(h.sent[0]!.msg.body, { type: "vote", msg_id: 1, value: "F", round: 1 });
});

test("equivocate lies to about half the peers, the same ones for the whole window", () => {
  const peers = ["n2", "n3", "n4", "n5", "n6", "n7"];
  const lied = liedTo(peers, 42);
  assert.equal(lied.size, 3);
  assert.deepEqual(liedTo(peers, 42), lied, "stable for a seed");
  const seen = new Set<string>();
  for (let s = 0; s < 20; s++) seen.add([...liedTo(peers, s)].sort().join());
  assert.ok(seen.size > 3, "other seeds pick other peers");

  const h = harness([{ action: "equivocate", seed: 9 }], { valueFields: ["value"] });
  for (let round = 0; round < 3; round++) for (const d of PEERS) h.send(msg(d, round));
  const valuesBy = new Map<string, Set<unknown>>();
  for (const o of h.sent) {
    if (!valuesBy.has(o.msg.dest)) valuesBy.set(o.msg.dest, new Set());
    valuesBy.get(o.msg.dest)!.add(o.msg.body.value);
  }
  const told = [...valuesBy.values()].map((v) => [...v].join());
  assert.ok(
    told.every((v) => v === "T" || v === "F"),
    "each peer hears one story",
  );
  assert.ok(told.includes("T") && told.includes("F"), `different peers, different values: ${told}`);
});

test("forge claims another node, never the destination", () => {
  const h = harness([{ action: "forge", seed: 1 }]);
  for (const d of PEERS) h.send(msg(d, 1));
  for (const o of h.sent) {
    assert.notEqual(o.msg.src, "n1");
    assert.notEqual(o.msg.src, o.msg.dest);
    assert.ok(PEERS.includes(o.msg.src));
  }
});

test("replay resends an old message to the same peer besides the real one", () => {
  const h = harness([{ action: "replay", seed: 2 }]);
  h.send(msg("n2", 1));
  assert.equal(h.sent.length, 1, "nothing old to replay yet");
  h.send(msg("n3", 1));
  h.send(msg("n2", 2));
  assert.deepEqual(
    h.sent.map((o) => `${o.msg.dest}:${o.msg.body.msg_id}`),
    ["n2:1", "n3:1", "n2:2", "n2:1"],
  );
});

test("silent sends nothing", () => {
  const h = harness([{ action: "silent" }]);
  for (const d of PEERS) h.send(msg(d, 1));
  assert.equal(h.sent.length, 0);
});

test("rules compose in order: flip then duplicate sends two flipped copies", () => {
  const h = harness([{ action: "flip" }, { action: "duplicate" }, { action: "delay", ms: 10 }]);
  h.send(msg("n2", 1));
  assert.deepEqual(
    h.sent.map((o) => [o.msg.body.value, o.delayMs]),
    [
      ["F", 10],
      ["F", 11],
    ],
  );
});

test("parseRules accepts the documented rules and names the first bad one", () => {
  assert.deepEqual(parseRules([{ action: "delay", ms: 5, dest: ["n2"] }]), [
    { action: "delay", ms: 5, dest: ["n2"] },
  ]);
  assert.match(String(parseRules([{ action: "explode" }])), /rule 0: action must be one of/);
  assert.match(String(parseRules([{ action: "drop", probability: 2 }])), /probability/);
  assert.match(String(parseRules({})), /list/);
});

test("a forged message is one whose src is not the node at its address", () => {
  const t = { node_id: "n1", nodes: { n1: "10.0.0.1", n2: "10.0.0.2", n3: "127.0.0.1:9003" } };
  assert.equal(realSender(t, { address: "10.0.0.2", port: 7071 }), "n2");
  assert.equal(realSender(t, { address: "127.0.0.1", port: 9003 }), "n3");
  assert.equal(isForged(t, "n2", { address: "10.0.0.2", port: 7071 }), false);
  assert.equal(isForged(t, "n3", { address: "10.0.0.2", port: 7071 }), true);
  assert.equal(isForged(t, "n2", { address: "10.9.9.9", port: 7071 }), true);
});

test("the target's ByzantineSpec reaches the host through its environment", () => {
  const env = byzantineEnv({ valueFields: ["value"], authenticated: true });
  assert.deepEqual(byzantineFromEnv(env), { valueFields: ["value"], authenticated: true });
  assert.deepEqual(byzantineFromEnv({}), { authenticated: false });
  assert.deepEqual(byzantineFromEnv({ FAULTLINE_BYZANTINE: "{oops" }), { authenticated: false });
});
