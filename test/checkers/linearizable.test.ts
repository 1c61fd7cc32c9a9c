// The linearizability checker on small hand-written histories: each model, the meaning of
// info and fail, nil reads, keys, budgets and explanations.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Op, OpType, Process } from "../../histories/op.ts";
import {
  checkLinearizable,
  formatExplanation,
  type LinearizableOptions,
} from "../../checkers/linearizable/index.ts";

type Row = [Process, OpType, string, unknown?, string?];

/** A history from rows of [process, type, f, value, key]. */
function h(rows: Row[]): Op[] {
  return rows.map(([process, type, f, value, key], index) => {
    const op: Op = { index, time: index, process, type, f };
    if (value !== undefined) op.value = value;
    if (key !== undefined) op.key = key;
    return op;
  });
}

async function verdict(rows: Row[], opts: LinearizableOptions) {
  return (await checkLinearizable(h(rows), opts)).valid;
}

const reg: LinearizableOptions = { model: "cas-register", init: 0 };

test("sequential register: reads see the last write", async () => {
  const ok: Row[] = [
    [1, "invoke", "write", 1],
    [1, "ok", "write", 1],
    [2, "invoke", "read", null],
    [2, "ok", "read", 1],
  ];
  assert.equal(await verdict(ok, reg), true);
  const stale: Row[] = [
    [1, "invoke", "write", 1],
    [1, "ok", "write", 1],
    [2, "invoke", "read", null],
    [2, "ok", "read", 0],
  ];
  assert.equal(await verdict(stale, reg), false);
});

test("a read concurrent with a write may see either value", async () => {
  for (const seen of [0, 1]) {
    const rows: Row[] = [
      [1, "invoke", "write", 1],
      [2, "invoke", "read", null],
      [2, "ok", "read", seen],
      [1, "ok", "write", 1],
    ];
    assert.equal(await verdict(rows, reg), true);
  }
});

test("an info write may take effect later, or never, but not come and go", async () => {
  const base: Row[] = [
    [1, "invoke", "write", 1],
    [1, "info", "write", 1],
  ];
  const read = (v: number): Row[] => [
    [2, "invoke", "read", null],
    [2, "ok", "read", v],
  ];
  assert.equal(await verdict([...base, ...read(0), ...read(1)], reg), true, "late effect");
  assert.equal(await verdict([...base, ...read(0), ...read(0)], reg), true, "no effect");
  assert.equal(await verdict([...base, ...read(1), ...read(0)], reg), false, "undone");
});

test("an invocation never completed counts as info", async () => {
  const rows: Row[] = [
    [1, "invoke", "write", 1],
    [2, "invoke", "read", null],
    [2, "ok", "read", 1],
  ];
  assert.equal(await verdict(rows, reg), true);
});

test("a failed op never took effect", async () => {
  const rows: Row[] = [
    [1, "invoke", "write", 1],
    [1, "fail", "write", 1],
    [2, "invoke", "read", null],
    [2, "ok", "read", 1],
  ];
  assert.equal(await verdict(rows, reg), false);
});

test("nemesis ops are ignored", async () => {
  const rows: Row[] = [
    ["nemesis", "info", "start-partition", ["n1"]],
    [1, "invoke", "read", null],
    ["nemesis", "info", "kill", "n2"],
    [1, "ok", "read", 0],
  ];
  assert.equal(await verdict(rows, reg), true);
});

test("cas succeeds only from the expected value", async () => {
  const rows = (from: number): Row[] => [
    [1, "invoke", "cas", [from, 5]],
    [1, "ok", "cas", [from, 5]],
    [2, "invoke", "read", null],
    [2, "ok", "read", 5],
  ];
  assert.equal(await verdict(rows(0), reg), true);
  assert.equal(await verdict(rows(3), reg), false);
});

test("nil reads: unknown by default for registers, absent for kv, and selectable", async () => {
  const rows: Row[] = [
    [1, "invoke", "write", 1, "a"],
    [1, "ok", "write", 1, "a"],
    [2, "invoke", "read", null, "a"],
    [2, "ok", "read", null, "a"],
  ];
  assert.equal(await verdict(rows, { model: "cas-register" }), true);
  assert.equal(await verdict(rows, { model: "kv" }), false);
  assert.equal(await verdict(rows, { model: "kv", nilRead: "unknown" }), true);
  assert.equal(await verdict(rows, { model: "cas-register", nilRead: "absent" }), false);
});

test("kv: keys are independent; lin-kv style cas and error-20 reads", async () => {
  const rows: Row[] = [
    [1, "invoke", "read", null, "x"],
    [1, "fail", "read", null, "x"], // error 20: key does not exist, dropped
    [1, "invoke", "write", 3, "x"],
    [2, "invoke", "write", 4, "y"],
    [1, "ok", "write", 3, "x"],
    [2, "ok", "write", 4, "y"],
    [1, "invoke", "cas", [3, 7], "x"],
    [1, "ok", "cas", [3, 7], "x"],
    [2, "invoke", "read", null, "y"],
    [2, "ok", "read", 4, "y"],
    [3, "invoke", "read", null, "x"],
    [3, "ok", "read", 7, "x"],
  ];
  assert.equal(await verdict(rows, { model: "kv" }), true);
  const wrong = rows.map((r) =>
    r[1] === "ok" && r[2] === "read" && r[4] === "y" ? ([2, "ok", "read", 3, "y"] as Row) : r,
  );
  const r = await checkLinearizable(h(wrong), { model: "kv" });
  assert.equal(r.valid, false);
  assert.equal(r.explanation?.key, "y");
  assert.equal(r.partitions, 2);
});

test("kv: per-key initial values from an object", async () => {
  const rows: Row[] = [
    [1, "invoke", "read", null, "x"],
    [1, "ok", "read", 5, "x"],
    [1, "invoke", "read", null, "y"],
    [1, "ok", "read", 6, "y"],
  ];
  assert.equal(await verdict(rows, { model: "kv", init: { x: 5, y: 6 } }), true);
  assert.equal(await verdict(rows, { model: "kv", init: 5 }), false);
});

test("kv: get, put and append on strings", async () => {
  const rows: Row[] = [
    [1, "invoke", "put", "a", "k"],
    [1, "ok", "put", "a", "k"],
    [1, "invoke", "append", "b", "k"],
    [2, "invoke", "append", "c", "k"],
    [1, "ok", "append", "b", "k"],
    [2, "ok", "append", "c", "k"],
    [3, "invoke", "get", null, "k"],
    [3, "ok", "get", "acb", "k"],
  ];
  assert.equal(await verdict(rows, { model: "kv" }), true);
  const dup = rows.map((r) =>
    r[1] === "ok" && r[2] === "get" ? ([3, "ok", "get", "acbb", "k"] as Row) : r,
  );
  assert.equal(await verdict(dup, { model: "kv" }), false);
});

test("set: reads see every completed add", async () => {
  const rows = (seen: number[]): Row[] => [
    [1, "invoke", "add", 1],
    [1, "ok", "add", 1],
    [2, "invoke", "add", 2],
    [3, "invoke", "read", null],
    [3, "ok", "read", seen],
    [2, "ok", "add", 2],
  ];
  assert.equal(await verdict(rows([1]), { model: "set" }), true);
  assert.equal(await verdict(rows([2, 1]), { model: "set" }), true);
  assert.equal(await verdict(rows([2]), { model: "set" }), false);
});

test("queue: first in, first out", async () => {
  const rows = (first: number): Row[] => [
    [1, "invoke", "enqueue", 1],
    [1, "ok", "enqueue", 1],
    [1, "invoke", "enqueue", 2],
    [1, "ok", "enqueue", 2],
    [2, "invoke", "dequeue", null],
    [2, "ok", "dequeue", first],
  ];
  assert.equal(await verdict(rows(1), { model: "queue" }), true);
  assert.equal(await verdict(rows(2), { model: "queue" }), false);
});

test("mutex: no two holders at once", async () => {
  const rows: Row[] = [
    [1, "invoke", "acquire"],
    [1, "ok", "acquire"],
    [2, "invoke", "acquire"],
    [2, "ok", "acquire"],
  ];
  assert.equal(await verdict(rows, { model: "mutex" }), false);
  const handoff: Row[] = [
    [1, "invoke", "acquire"],
    [1, "ok", "acquire"],
    [2, "invoke", "acquire"],
    [1, "invoke", "release"],
    [1, "ok", "release"],
    [2, "ok", "acquire"],
  ];
  assert.equal(await verdict(handoff, { model: "mutex" }), true);
});

test("multi-register: a transaction reads a consistent snapshot", async () => {
  const rows = (y: number): Row[] => [
    [
      1,
      "invoke",
      "txn",
      [
        ["write", "x", 1],
        ["write", "y", 1],
      ],
    ],
    [
      1,
      "ok",
      "txn",
      [
        ["write", "x", 1],
        ["write", "y", 1],
      ],
    ],
    [
      2,
      "invoke",
      "txn",
      [
        ["read", "x", null],
        ["read", "y", null],
      ],
    ],
    [
      2,
      "ok",
      "txn",
      [
        ["read", "x", 1],
        ["read", "y", y],
      ],
    ],
  ];
  assert.equal(await verdict(rows(1), { model: "multi-register", init: { x: 0, y: 0 } }), true);
  assert.equal(await verdict(rows(0), { model: "multi-register", init: { x: 0, y: 0 } }), false);
});

test("an op the model does not know is a clear bad-input error", async () => {
  await assert.rejects(
    checkLinearizable(
      h([
        [1, "invoke", "acquire"],
        [1, "ok", "acquire"],
      ]),
      { model: "kv" },
    ),
    (e: Error) => e.name === "UserError" && /kv model cannot check op f="acquire"/.test(e.message),
  );
  await assert.rejects(checkLinearizable([], { model: "nope" }), /Unknown model "nope"/);
});

/** A long single-register history: 20 processes, writes and reads in overlapping rounds. */
function bigHistory(rounds: number): Op[] {
  const rows: Row[] = [];
  let value = 0;
  for (let r = 0; r < rounds; r++) {
    for (let p = 0; p < 20; p++)
      rows.push([p, "invoke", p % 2 ? "read" : "write", p % 2 ? null : ++value]);
    for (let p = 0; p < 20; p++)
      rows.push([p, "ok", p % 2 ? "read" : "write", p % 2 ? value : value - 9 + p / 2]);
  }
  return h(rows);
}

test("budgets: past the time or memory limit the verdict is unknown with the reason", async () => {
  const history = bigHistory(400);
  const slow = await checkLinearizable(history, { model: "register", timeLimitMs: 1 });
  assert.equal(slow.valid, "unknown");
  assert.match(String(slow.reason), /time limit of 1 ms/);
  const small = await checkLinearizable(history, { model: "register", memoryLimitMb: 0.01 });
  assert.equal(small.valid, "unknown");
  assert.match(String(small.reason), /memory limit/);
});

test("explanation: the failing op, the prefix before it, and readable lines", async () => {
  const rows: Row[] = [
    [1, "invoke", "write", 1],
    [1, "ok", "write", 1],
    [2, "invoke", "write", 2],
    [2, "ok", "write", 2],
    [3, "invoke", "write", 3],
    [4, "invoke", "read", null],
    [4, "ok", "read", 1],
    [3, "ok", "write", 3],
  ];
  const r = await checkLinearizable(h(rows), reg);
  assert.equal(r.valid, false);
  const e = r.explanation!;
  assert.equal(e.op.index, 5);
  assert.equal(e.op.completeIndex, 6);
  assert.deepEqual(e.prefix.map((p) => p.value).slice(0, 2), [1, 2]);
  assert.ok(e.complete);
  // Without the write of 2 the read of 1 would be fine: that write is what it conflicts with.
  assert.deepEqual(
    e.conflicting.map((o) => o.index),
    [2],
  );
  assert.deepEqual(
    e.concurrent.map((o) => o.index),
    [4],
  );
  const lines = formatExplanation(r);
  assert.match(lines[0], /^invalid: op 5->6 \(process 4: read 1\) cannot be linearized/);
  assert.ok(lines.length <= 12);
  assert.deepEqual(formatExplanation({ valid: true, reason: "fine" }), ["valid: fine"]);
});
