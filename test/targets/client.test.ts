// The lin-kv workload's messages (what the harness-side client carries), what no reply means,
// the error table, the target registry.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UserError } from "../../core/errors.ts";
import { noReplyCompletion } from "../../targets/host/client.ts";
import { linKvWorkload } from "../../harness/workloads/lin-kv.ts";
import { ERRORS, errorKind } from "../../targets/host/errors.ts";
import { getTarget, targets } from "../../targets/index.ts";

const { request: requestBody, complete: completionOf } = linKvWorkload().messages;

test("operations become lin-kv request bodies", () => {
  assert.deepEqual(requestBody({ f: "read", key: "k" }), { type: "read", key: "k" });
  assert.deepEqual(requestBody({ f: "write", key: "k", value: 3 }), {
    type: "write",
    key: "k",
    value: 3,
  });
  assert.deepEqual(requestBody({ f: "cas", key: "k", value: [1, 2] }), {
    type: "cas",
    key: "k",
    from: 1,
    to: 2,
  });
  assert.throws(() => requestBody({ f: "cas", key: "k", value: 1 }), UserError);
  assert.throws(() => requestBody({ f: "append", key: "k" }), UserError);
});

test("replies become completions: definite errors fail, indefinite ones and timeouts are info", () => {
  const read = { f: "read", key: "k" };
  assert.deepEqual(completionOf(read, { type: "read_ok", value: 7 }), { type: "ok", value: 7 });
  // The value of an ok write is the invoked one: the worker keeps it (no value here).
  assert.deepEqual(completionOf({ f: "write", key: "k", value: 2 }, { type: "write_ok" }), {
    type: "ok",
  });
  for (const [code, type] of [
    [21, "fail"],
    [22, "fail"],
    [11, "fail"],
    [14, "fail"],
    [0, "info"],
    [13, "info"],
    [99, "info"],
  ] as const) {
    const c = completionOf(read, { type: "error", code, text: "x" });
    assert.equal(c.type, type, `code ${code}`);
    assert.equal((c.error as { code: number }).code, code);
  }
  // A read of a missing key is an ok read of nothing (it must be checked, not dropped).
  assert.deepEqual(completionOf(read, { type: "error", code: 20 }), { type: "ok", value: null });
  // A reply of the wrong type: something answered, but whether the write happened is unknown.
  assert.equal(completionOf({ f: "write", key: "k", value: 2 }, { type: "read_ok" }).type, "info");
  assert.equal(noReplyCompletion("timeout").type, "info");
  assert.equal(noReplyCompletion("connection-lost").type, "info");
  assert.equal(noReplyCompletion("refused").type, "fail");
  assert.equal(errorKind(ERRORS.keyDoesNotExist.code).name, "key-does-not-exist");
});

test("the target registry knows raft and python-register and names them for unknown names", () => {
  assert.equal(getTarget("raft"), targets.raft);
  assert.deepEqual(Object.keys(getTarget("raft").variants).sort(), [
    "local-read",
    "no-persist",
    "vote-stale-log",
  ]);
  assert.throws(
    () => getTarget("etcd2"),
    (e: unknown) => e instanceof UserError && /raft, python-register/.test(e.message),
  );
});
