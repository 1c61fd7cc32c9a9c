// The search's parts and its reach: the memo table and the pair map (typed-array structures
// whose bookkeeping is easy to get wrong), histories in the shape of Porcupine's kv benchmark
// (valid, and with one get corrupted), and a big single register within the default budget.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigMemo } from "../../checkers/linearizable/memo.ts";
import { PairMap } from "../../checkers/linearizable/pair-map.ts";
import { checkLinearizable } from "../../checkers/linearizable/index.ts";
import { corruptOneGet, kvAppendHistory } from "../../bench/kv-append-history.ts";
import { kvHistory } from "../../bench/kv-history.ts";

test("memo: a configuration seen before, or one with more info ops used, is pruned", () => {
  const ok = new Uint32Array(4);
  const info = new Uint32Array(2);
  const memo = new ConfigMemo(ok, info);
  ok[0] = 0b1011;
  assert.equal(memo.add(7, 99, 0, 0, 0, -1), true);
  assert.equal(memo.add(7, 99, 0, 0, 0, -1), false, "the same again");
  assert.equal(memo.add(8, 99, 0, 0, 0, -1), true, "another state");
  ok[0] = 0b0111; // same hash given, other ok set: must be told apart by its words
  assert.equal(memo.add(7, 99, 0, 0, 0, -1), true);
  info[1] = 0b100;
  assert.equal(memo.add(7, 99, 0, 0, 1, 1), false, "more info ops than a recorded entry");
  ok[0] = 0b1111;
  assert.equal(memo.add(7, 5, 0, 0, 1, 1), true);
  info[1] = 0;
  assert.equal(memo.add(7, 5, 0, 0, 0, -1), true, "fewer info ops: not dominated");
  assert.equal(memo.size, 5);
});

test("memo: thousands of entries across small chunks and rehashes are all found again", () => {
  const ok = new Uint32Array(8);
  const info = new Uint32Array(1);
  const memo = new ConfigMemo(ok, info, 6); // chunks of 64 ints
  const fill = (i: number) => {
    ok.fill(0);
    for (let w = 0; w <= i % 5; w++) ok[w + 1] = i * 31 + w;
  };
  for (let i = 0; i < 5000; i++) {
    fill(i);
    assert.equal(memo.add(i % 13, i % 7, 1, 1 + (i % 5), 0, -1), true);
  }
  for (let i = 0; i < 5000; i++) {
    fill(i);
    assert.equal(memo.add(i % 13, i % 7, 1, 1 + (i % 5), 0, -1), false, `entry ${i}`);
  }
  assert.equal(memo.size, 5000);
  assert.ok(memo.bytes() > 5000 * 8 * 4);
});

test("pair map: values by pairs of integers, through growth", () => {
  const m = new PairMap();
  for (let a = 0; a < 300; a++) for (let b = 0; b < 30; b++) m.set(a, b, a * 1000 + b - 5);
  for (let a = 0; a < 300; a++)
    for (let b = 0; b < 30; b++) assert.equal(m.get(a, b), a * 1000 + b - 5);
  assert.equal(m.get(300, 0), PairMap.MISSING);
  assert.equal(m.get(0, 30), PairMap.MISSING);
});

// Seeds of the benchmark's case (p). The search explores about 1,400-2,100 configurations on
// each valid one; the bound leaves room, and fails if reads stop being forced or ruled out
// (then it is hundreds of thousands to millions).
const SHAPE = { clients: 50, keys: 10, ops: 1_700 };

test("Porcupine's kv shape: valid histories are valid, quickly", async () => {
  for (const seed of [1, 2, 3]) {
    const r = await checkLinearizable(kvAppendHistory({ ...SHAPE, seed }), { model: "kv" });
    assert.equal(r.valid, true, `seed ${seed}: ${r.reason}`);
    assert.ok(r.explored < 20_000, `seed ${seed}: ${r.explored} configurations explored`);
  }
});

test("Porcupine's kv shape: a corrupted get is found and named", async () => {
  for (const seed of [1, 2, 3]) {
    const history = kvAppendHistory({ ...SHAPE, seed });
    const at = corruptOneGet(history);
    const r = await checkLinearizable(history, { model: "kv" });
    assert.equal(r.valid, false, `seed ${seed}: ${r.reason}`);
    assert.ok(r.explored < 20_000, `seed ${seed}: ${r.explored} configurations explored`);
    const e = r.explanation!;
    assert.equal(e.key, history[at].key);
    assert.equal(e.op.f, "get");
    assert.ok(e.op.type === "ok");
  }
});

test("one register, 50,000 ops, no info: valid within the default budget", async () => {
  const history = kvHistory({ keys: 1, clients: 10, ops: 50_000, infoRate: 0, seed: 5 });
  const r = await checkLinearizable(history, { model: "cas-register" });
  assert.equal(r.valid, true, String(r.reason));
  assert.ok(r.memory.estimatedPeakMb < 100, `estimated ${r.memory.estimatedPeakMb} MB`);
});
