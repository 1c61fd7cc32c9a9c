// Client workers: invoke/complete pairs, fresh process ids after info, timeouts, spreading.
import { test } from "node:test";
import assert from "node:assert/strict";
import { WorkerPool } from "../../harness/workers.ts";
import { RunClock } from "../../core/clock.ts";
import { Rng } from "../../core/rng.ts";
import { from, limit } from "../../harness/generator/gen.ts";
import type { Client } from "../../targets/types.ts";
import { memoryRecorder } from "./fakes.ts";

const nodes = [1, 2, 3].map((i) => ({ name: `n${i}`, ip: `10.0.0.${i}` }));

test("each process has one op in flight, and after info continues under a fresh id", async () => {
  const rec = memoryRecorder();
  let calls = 0;
  const client: Client = {
    invoke: async () =>
      ++calls % 7 === 0 ? { type: "info", error: "timeout" } : { type: "ok", value: 1 },
    close: async () => {},
  };
  const pool = new WorkerPool({
    concurrency: 5,
    nodes,
    openClient: async () => client,
    recorder: rec,
    clock: new RunClock(),
    rng: Rng.seeded(1),
    timeoutMs: 100,
  });
  await pool.run(
    limit(
      200,
      from(() => ({ f: "read", key: "k" })),
    ),
    new AbortController().signal,
  );
  assert.equal(rec.ops.length, 400);
  const inFlight = new Map<number, boolean>();
  const retired = new Set<number>();
  for (const op of rec.ops) {
    const p = op.process as number;
    assert.ok(!retired.has(p), `process ${p} reused after info`);
    if (op.type === "invoke") {
      assert.ok(!inFlight.get(p), `process ${p} has two ops in flight`);
      inFlight.set(p, true);
    } else {
      inFlight.set(p, false);
      if (op.type === "info") retired.add(p);
    }
  }
  assert.ok(retired.size >= 25, "every info retired its process");
  assert.deepEqual(
    [...new Set(rec.ops.filter((o) => (o.process as number) < 5).map((o) => o.node))].sort(),
    ["n1", "n2", "n3"],
  );
});

test("a client that hangs past its timeout gives info; one that cannot connect gives fail", async () => {
  const rec = memoryRecorder();
  let opened = 0;
  const pool = new WorkerPool({
    concurrency: 2,
    nodes,
    openClient: async (node) => {
      if (node.name === "n2") throw new Error("refused");
      opened++;
      return { invoke: () => new Promise(() => {}), close: async () => {} };
    },
    recorder: rec,
    clock: new RunClock(),
    rng: Rng.seeded(1),
    timeoutMs: 10,
  });
  const t0 = Date.now();
  await pool.run(
    limit(
      2,
      from(() => ({ f: "write", key: "k", value: 3 })),
    ),
    new AbortController().signal,
  );
  assert.ok(Date.now() - t0 < 3000);
  const done = rec.ops.filter((o) => o.type !== "invoke");
  assert.deepEqual(done.map((o) => [o.node, o.type]).sort(), [
    ["n1", "info"],
    ["n2", "fail"],
  ]);
  assert.equal(done.find((o) => o.type === "info")!.error, "timeout");
  assert.equal(opened, 1);
});

test("an abort stops the workers from taking new ops", async () => {
  const rec = memoryRecorder();
  const stop = new AbortController();
  const pool = new WorkerPool({
    concurrency: 3,
    nodes,
    openClient: async () => ({
      invoke: async () => (await new Promise((r) => setTimeout(r, 5)), { type: "ok" }),
      close: async () => {},
    }),
    recorder: rec,
    clock: new RunClock(),
    rng: Rng.seeded(1),
    timeoutMs: 100,
  });
  setTimeout(() => stop.abort(), 50);
  await pool.run(
    from(() => ({ f: "read", key: "k" })),
    stop.signal,
  );
  const invokes = rec.ops.filter((o) => o.type === "invoke").length;
  assert.equal(invokes, rec.ops.length - invokes, "every invocation completed");
  assert.ok(invokes > 3 && invokes < 200);
});

test("an op that names a node goes to that node; final-phase ops are marked final", async () => {
  const rec = memoryRecorder();
  const opened: string[] = [];
  const pool = new WorkerPool({
    concurrency: 2,
    nodes,
    openClient: async (node) => {
      opened.push(node.name);
      return {
        invoke: async () => ({ type: "ok", value: node.name }),
        close: async () => {},
      };
    },
    recorder: rec,
    clock: new RunClock(),
    rng: Rng.seeded(1),
    timeoutMs: 100,
  });
  await pool.run(
    limit(
      4,
      from(() => ({ f: "read" })),
    ),
    new AbortController().signal,
  );
  assert.ok(
    rec.ops.every((o) => o.final === undefined),
    "main-phase ops are not final",
  );
  const before = rec.ops.length;
  const reads = ["n3", "n1", "n2"].map((node) => ({ f: "read", node }));
  let i = 0;
  await pool.run({ next: () => reads[i++] }, new AbortController().signal, undefined, true);
  const final = rec.ops.slice(before);
  assert.equal(final.length, 6);
  assert.ok(final.every((o) => o.final === true));
  for (const op of final.filter((o) => o.type === "ok"))
    assert.equal(op.value, op.node, "answered by the node the op named");
  assert.ok(opened.includes("n3"), "a client was opened to n3 although no worker lives there");
});
