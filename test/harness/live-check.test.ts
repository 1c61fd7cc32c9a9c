// The live check on its own thread: keyed ops are held per key, a retired key is judged one
// last time and let go (so an hour-long run's check stays bounded), and a violation is found
// whether its key is still in use or retiring.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LiveCheck, RETIRE_AFTER_NS, type LiveViolation } from "../../harness/run/live-check.ts";
import type { Recorder } from "../../histories/op.ts";
import { memoryRecorder } from "./fakes.ts";

const S = 1e9;

/** A write then a read of `key` by one process, from `atS` seconds on; the read returns `read`. */
function writeThenRead(rec: Recorder, key: string, atS: number, value: number, read: number) {
  const t = atS * S;
  rec.append({ time: t, process: 0, type: "invoke", f: "write", key, value });
  rec.append({ time: t + 1e6, process: 0, type: "ok", f: "write", key, value });
  rec.append({ time: t + 2e6, process: 0, type: "invoke", f: "read", key });
  rec.append({ time: t + 3e6, process: 0, type: "ok", f: "read", key, value: read });
}

async function liveCheck(): Promise<{ live: LiveCheck; violations: LiveViolation[] }> {
  const violations: LiveViolation[] = [];
  const live = await LiveCheck.start([{ checker: "linearizable", options: { model: "kv" } }], {
    everyMs: 20,
    budget: { timeLimitMs: 5000, memoryLimitMb: 256 },
    nowMs: () => 0,
    onViolation: (v) => violations.push(v),
  });
  assert.ok(live, "lin-kv's checker is prefix-closed");
  return { live, violations };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(cond(), what);
}

test("a retired key is judged once more and let go; the keys in use are held", async () => {
  const { live, violations } = await liveCheck();
  const rec = live.tee(memoryRecorder());
  writeThenRead(rec, "k0", 0, 1, 1);
  writeThenRead(rec, "k1", 0.5, 2, 2);
  // Much later (past the retirement delay), only k2 is in use.
  writeThenRead(rec, "k2", RETIRE_AFTER_NS / S + 5, 3, 3);
  live.run();
  await until(() => live.stats.retiredKeys === 2, `retired: ${JSON.stringify(live.stats)}`);
  assert.equal(live.stats.heldOps, 4, "only k2's four ops are held");
  assert.equal(live.stats.lastOps, 12, "the verdict covers every op");
  assert.match(live.status(), /no violation in 12 ops/);
  // A violation on the key in use is still found.
  writeThenRead(rec, "k2", RETIRE_AFTER_NS / S + 6, 4, 3);
  await until(() => violations.length === 1, "the stale read of k2 was caught");
  assert.deepEqual(violations[0]!.violated, ["linearizable"]);
  await live.stop();
});

test("a violation on a key that retires in the same check is found, not let go", async () => {
  const { live, violations } = await liveCheck();
  const rec = live.tee(memoryRecorder());
  writeThenRead(rec, "k0", 0, 1, 1);
  writeThenRead(rec, "k0", 1, 2, 1); // stale: reads 1 after 2 was written
  writeThenRead(rec, "k1", RETIRE_AFTER_NS / S + 5, 3, 3);
  live.run();
  await until(() => violations.length === 1, "the stale read of the retiring k0 was caught");
  assert.match(violations[0]!.explanation.join("\n"), /k0/);
  await live.stop();
});
