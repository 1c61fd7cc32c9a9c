// The kafka checker: replicated logs per key. A correct history is valid; each property it
// judges (one message per offset, one offset per message, no phantom message, ordered polls,
// no lost acknowledged send, committed offsets that were committed) is broken once by a
// small history and named; a send that no poll reached leaves the verdict unknown.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkKafka, kafkaChecker, type KafkaResult } from "../../checkers/kafka/index.ts";
import { History } from "./maelstrom-history.ts";

/** send `msg` to `key`, acknowledged at `offset` (or failed / unknown). */
function send(h: History, key: string, msg: number, offset: number | null, type = "ok") {
  return h.op("send", type as "ok", msg, "n1", type === "ok" ? offset : msg, { key });
}
function poll(h: History, key: string, from: number, entries: unknown, node = "n2") {
  return h.op("poll", "ok", from, node, entries, { key });
}
const kinds = (r: KafkaResult) => r.anomalies.map((a) => a.kind);

test("a correct history is valid: sends, polls from several offsets, commits and lists", () => {
  const h = new History();
  send(h, "k0", 1, 0);
  send(h, "k0", 2, 1);
  send(h, "k1", 3, 0);
  poll(h, "k0", 0, [
    [0, 1],
    [1, 2],
  ]);
  poll(h, "k0", 1, [[1, 2]]);
  poll(h, "k1", 0, [[0, 3]], "n3");
  h.op("commit_offsets", "ok", 1, "n1", 1, { key: "k0" });
  h.op("list_committed_offsets", "ok", null, "n2", 1, { key: "k0" });
  h.op("list_committed_offsets", "ok", null, "n2", null, { key: "k1" });
  // A send whose outcome is unknown may or may not be in the log.
  send(h, "k1", 4, null, "info");
  poll(h, "k1", 0, [
    [0, 3],
    [1, 4],
  ]);
  const r = checkKafka(h.ops);
  assert.equal(r.valid, true, JSON.stringify(r.anomalies));
  assert.deepEqual(r.sends, { ok: 3, info: 1, fail: 0 });
  assert.equal(r.unconfirmed, 0);
});

test("two messages at one offset: offset-conflict, named once however many polls show it", () => {
  const h = new History();
  send(h, "k0", 1, 0);
  send(h, "k0", 2, 0); // another node handed out the same offset
  for (let i = 0; i < 3; i++) poll(h, "k0", 0, [[0, 2]]);
  const r = checkKafka(h.ops);
  assert.equal(r.valid, false);
  assert.deepEqual(kinds(r), ["offset-conflict"]);
  assert.match(r.anomalies[0]!.text, /offset 0 of k0 holds 1 \(op 1\) and 2 \(op 3\)/);
});

test("a message at two offsets is message-moved; one no send asked for is a phantom", () => {
  const h = new History();
  send(h, "k0", 1, 0);
  poll(h, "k0", 0, [
    [0, 1],
    [1, 1],
  ]);
  poll(h, "k0", 0, [[0, 1]]);
  poll(h, "k0", 0, [
    [0, 1],
    [1, 1],
    [2, 99],
  ]);
  const r = checkKafka(h.ops);
  assert.deepEqual(kinds(r).sort(), ["message-moved", "phantom-message"]);
  // A message sent to k1 is a phantom in k0's log, and a failed send's message is one too.
  const h2 = new History();
  send(h2, "k1", 5, 0);
  send(h2, "k0", 6, null, "fail");
  poll(h2, "k0", 0, [
    [0, 5],
    [1, 6],
  ]);
  assert.deepEqual(kinds(checkKafka(h2.ops)), ["phantom-message", "phantom-message"]);
});

test("a poll's offsets must increase, none below the offset asked for", () => {
  const h = new History();
  send(h, "k0", 1, 0);
  send(h, "k0", 2, 1);
  poll(h, "k0", 0, [
    [1, 2],
    [0, 1],
  ]);
  poll(h, "k0", 1, [
    [0, 1],
    [1, 2],
  ]);
  assert.deepEqual(kinds(checkKafka(h.ops)), ["unordered-poll", "unordered-poll"]);
});

test("lost write: a poll after the ack that goes past the offset without it; not when concurrent", () => {
  const h = new History();
  send(h, "k0", 1, 0);
  send(h, "k0", 2, 1);
  send(h, "k0", 3, 2);
  poll(h, "k0", 0, [
    [0, 1],
    [2, 3],
  ]);
  const r = checkKafka(h.ops);
  assert.deepEqual(kinds(r), ["lost-write"]);
  assert.match(r.anomalies[0]!.text, /send of 2 to k0 was acknowledged at offset 1/);

  // The same poll, invoked before the send of 2 was acknowledged: it may not have been there yet.
  const c = new History();
  send(c, "k0", 1, 0);
  const p = c.begin("poll", 0, "n2", { key: "k0" });
  send(c, "k0", 2, 1);
  send(c, "k0", 3, 2);
  c.end(
    p,
    "ok",
    "poll",
    [
      [0, 1],
      [2, 3],
    ],
    "n2",
    { key: "k0" },
  );
  poll(c, "k0", 0, [
    [0, 1],
    [1, 2],
    [2, 3],
  ]);
  assert.equal(checkKafka(c.ops).valid, true);
});

test("a listed committed offset that no commit asked for is a phantom-commit", () => {
  const h = new History();
  send(h, "k0", 1, 0);
  poll(h, "k0", 0, [[0, 1]]);
  h.op("commit_offsets", "fail", 0, "n1", 0, { key: "k0" });
  h.op("list_committed_offsets", "ok", null, "n1", 0, { key: "k0" });
  h.op("list_committed_offsets", "ok", null, "n1", 7, { key: "k0" });
  const r = checkKafka(h.ops);
  assert.deepEqual(kinds(r), ["phantom-commit", "phantom-commit"]);
});

test("malformed replies are named; an ack no poll reached makes the verdict unknown", () => {
  const h = new History();
  send(h, "k0", 1, -1);
  poll(h, "k0", 0, { 0: 1 });
  assert.deepEqual(kinds(checkKafka(h.ops)), ["malformed", "malformed"]);

  const u = new History();
  send(u, "k0", 1, 0);
  send(u, "k0", 2, 1);
  poll(u, "k0", 0, [[0, 1]]); // returned a prefix: offset 1 was never reached
  const r = checkKafka(u.ops);
  assert.equal(r.valid, "unknown");
  assert.equal(r.unconfirmed, 1);
  assert.match(r.reason!, /1 acknowledged sends were never reached by a poll/);
  // During the run a send acknowledged lately is simply not reached yet.
  assert.equal(checkKafka(u.ops, { live: true }).valid, true);
  assert.ok(kafkaChecker.explain(r).length >= 1);
});
