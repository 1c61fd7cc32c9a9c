// The echo checker: ok echoes must return what was sent; the wrong ones are named.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkEcho, echoChecker } from "../../checkers/echo/index.ts";
import { History } from "./maelstrom-history.ts";

test("echoes that return what was sent are valid; fail and info echoes say nothing", () => {
  const h = new History();
  h.op("echo", "ok", "hello", "n1");
  h.op("echo", "ok", { b: [1, 2], a: "x" }, "n1", { a: "x", b: [1, 2] }); // key order aside
  h.op("echo", "fail", "lost", "n2", "something else");
  h.op("echo", "info", "maybe", "n2", null);
  const r = checkEcho(h.ops);
  assert.equal(r.valid, true, r.reason);
  assert.equal(r.ok, 2);
  assert.equal(r.wrong, 0);
});

test("a wrong echo is named with its op, node, what was sent and what came back", () => {
  const h = new History();
  h.op("echo", "ok", "hello", "n1");
  const bad = h.op("echo", "ok", 'say "hi"', "n2", "say hi");
  h.op("echo", "ok", "x", "n1", null); // echo_ok without its echo field
  h.op("echo", "ok", 1, "n1", "1"); // a number is not its text
  const r = checkEcho(h.ops, { maxReported: 2 });
  assert.equal(r.valid, false);
  assert.equal(r.wrong, 3);
  assert.equal(r.mismatches.length, 2, "maxReported caps the list, not the count");
  assert.deepEqual(r.mismatches[0], { op: bad.index, node: "n2", sent: 'say "hi"', got: "say hi" });
  assert.match(echoChecker.explain(r).join("\n"), /op 3 on n2: sent "say \\"hi\\"", got "say hi"/);
});

test("property: any JSON echoed back is valid; any change to one ok echo is caught", () => {
  fc.assert(
    fc.property(
      fc.array(fc.jsonValue(), { minLength: 1, maxLength: 20 }),
      fc.nat(),
      (values, pick) => {
        const h = new History();
        for (const v of values) h.op("echo", "ok", v, "n1", structuredClone(v));
        assert.equal(checkEcho(h.ops).valid, true);
        const i = pick % values.length;
        const completion = h.ops[2 * i + 1]!;
        completion.value = [completion.value]; // wrapped: never equal to itself
        const r = checkEcho(h.ops);
        assert.equal(r.valid, false);
        assert.equal(r.mismatches[0]!.op, completion.index);
      },
    ),
  );
});
