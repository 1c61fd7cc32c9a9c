// No false comfort: a history where some kind of operation never succeeded is unknown, never
// valid; the same through `faultline check` (exit 2, the reason on the console).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { checkProgress } from "../../checkers/progress/index.ts";
import { analyze } from "../../harness/run/analyze.ts";
import type { Op } from "../../histories/op.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

function history(events: Partial<Op>[]): Op[] {
  return events.map((e, index) => ({ index, time: index, process: 0, ...e }) as Op);
}

// Writes succeed, every read fails: a store that loses every write would look like this too.
const noOkReads = history([
  { process: 0, type: "invoke", f: "write", key: "a", value: 1 },
  { process: 0, type: "ok", f: "write", key: "a", value: 1 },
  { process: 1, type: "invoke", f: "read", key: "a" },
  { process: 1, type: "fail", f: "read", key: "a", error: { code: 11 } },
  { process: 1, type: "invoke", f: "read", key: "a" },
  { process: 1, type: "info", f: "read", key: "a", error: "timeout" },
  { process: "nemesis", type: "invoke", f: "start-partition" },
]);

test("a history with 0 ok reads is unknown, naming the kind that never succeeded", () => {
  const r = checkProgress(noOkReads);
  assert.equal(r.valid, "unknown");
  assert.deepEqual(r.neverOk, ["read"]);
  assert.match(r.reason!, /no read ever succeeded \(0 ok of 2\)/);
  assert.deepEqual(r.byFunction.write, { invoked: 1, ok: 1 });
  assert.equal(r.byFunction["start-partition"], undefined, "nemesis ops are not client ops");
});

test("every kind succeeded once: valid; an empty history: unknown; ignored kinds do not count", () => {
  const ok = history([
    { type: "invoke", f: "write", value: 1 },
    { type: "ok", f: "write", value: 1 },
    { type: "invoke", f: "read" },
    { type: "ok", f: "read", value: 1 },
  ]);
  assert.equal(checkProgress(ok).valid, true);
  assert.equal(checkProgress([]).valid, "unknown");
  assert.equal(checkProgress(noOkReads, { ignore: ["read"] }).valid, true);
});

test("composed with a checker that finds the history linearizable, the verdict is still unknown", async () => {
  const a = await analyze(noOkReads, [
    { checker: "linearizable", options: { model: "kv" } },
    { checker: "progress" },
  ]);
  assert.equal(a.results.linearizable!.valid, true);
  assert.equal(a.verdict, "unknown");
  assert.ok(a.explanation.some((l) => /progress: unknown \(no read ever succeeded/.test(l)));
});

test("faultline check of such a run: exit 2 and the reason on the console", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-progress-"));
  fs.writeFileSync(
    path.join(dir, "history.jsonl"),
    noOkReads.map((o) => JSON.stringify(o)).join("\n") + "\n",
  );
  fs.writeFileSync(
    path.join(dir, "test.json"),
    JSON.stringify({
      checkers: [{ checker: "linearizable", options: { model: "kv" } }, { checker: "progress" }],
    }),
  );
  const r = await execa(path.join(ROOT, "bin/faultline"), ["check", dir], { reject: false });
  assert.equal(r.exitCode, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /no read ever succeeded/);
  assert.match(r.stdout, /linearizable: valid/);
});

test("an empty composition is unknown: nothing was checked", async () => {
  const a = await analyze(noOkReads, []);
  assert.equal(a.verdict, "unknown");
});
