// Pairing invocations with completions, and loadHistory's format detection.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Op } from "../../histories/op.ts";
import { pairHistory } from "../../histories/pair.ts";
import { detectFormat, loadHistory } from "../../histories/load.ts";
import { UserError } from "../../core/errors.ts";

const op = (
  index: number,
  process: Op["process"],
  type: Op["type"],
  f: string,
  value?: unknown,
): Op => ({ index, time: index, process, type, f, value });

test("pairs per process; an invoke never completed is info; retired processes", () => {
  const paired = pairHistory([
    op(0, 1, "invoke", "read", null),
    op(1, 2, "invoke", "write", 3),
    op(2, "nemesis", "info", "kill"),
    op(3, 1, "ok", "read", 3),
    op(4, 2, "info", "write", 3),
    op(5, 2, "invoke", "read", null), // a retired id reused: a new op
    op(6, 3, "invoke", "write", 5),
  ]);
  assert.deepEqual(
    paired.map((p) => [p.process, p.f, p.type, p.value, p.invokePos, p.completePos]),
    [
      [1, "read", "ok", 3, 0, 3],
      [2, "write", "info", 3, 1, 4],
      [2, "read", "info", null, 5, Infinity],
      [3, "write", "info", 5, 6, Infinity],
    ],
  );
});

test("a completion without an invocation, or two ops in flight, is bad input", () => {
  assert.throws(
    () => pairHistory([op(0, 1, "ok", "read", 1)]),
    (e: unknown) => e instanceof UserError && /op index 0 completes/.test(e.message),
  );
  assert.throws(
    () => pairHistory([op(0, 1, "invoke", "read"), op(1, 1, "invoke", "read")]),
    /still in flight/,
  );
});

test("loadHistory detects JSONL, EDN and Jepsen logs", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-load-"));
  const files: Record<string, string> = {
    "a.jsonl": `{"index":0,"time":0,"process":1,"type":"invoke","f":"read"}\n`,
    "b.edn": `[{:process 1 :type :invoke :f :read}]`,
    "c.txt": `; comment\n{:process 1 :type :invoke :f :read}\n`,
    "d.log": `INFO  jepsen.util - 1\t:invoke\t:read\tnil\n`,
  };
  for (const [name, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), text);
    const ops = await loadHistory(path.join(dir, name));
    assert.equal(ops.length, 1, name);
    assert.equal(ops[0].f, "read", name);
  }
  assert.equal(detectFormat(files["d.log"], "x"), "jepsen-log");
  fs.writeFileSync(path.join(dir, "empty.edn"), "  \n");
  await assert.rejects(loadHistory(path.join(dir, "empty.edn")), /is empty/);
  await assert.rejects(loadHistory(dir), /it is a directory/);
});
