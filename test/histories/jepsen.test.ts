// Importing Jepsen histories: EDN (one collection, or one map per line) and log lines.
import { mangled, parsesOrRefuses } from "./fuzz.ts";
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseJepsenEdn, parseJepsenLog } from "../../histories/jepsen.ts";
import { UserError } from "../../core/errors.ts";
import { checkLinearizable } from "../../checkers/linearizable/index.ts";

test("EDN vector: ops with extra keys, nemesis ops, positions as indexes", () => {
  const ops = parseJepsenEdn(
    `[{:process 0, :type :invoke, :f :read, :value nil, :time 5, :extra {:a 1}}\n {:process :nemesis, :type :info, :f :start, :value "Cut off"}\n {:process 0, :type :ok, :f :read, :value 3, :index 17}]`,
    "h.edn",
  );
  assert.equal(ops.length, 3);
  assert.deepEqual(ops[0], {
    index: 0,
    time: 5,
    process: 0,
    type: "invoke",
    f: "read",
    value: null,
    extra: { a: 1 },
  });
  assert.equal(ops[1].process, "nemesis");
  assert.equal(ops[2].index, 17);
});

test("EDN one map per line, and a list", () => {
  const perLine = parseJepsenEdn(
    `{:process 1, :type :invoke, :f :write, :value 2}\n{:process 1, :type :ok, :f :write, :value 2}\n`,
    "h.edn",
  );
  assert.deepEqual(
    perLine.map((o) => o.type),
    ["invoke", "ok"],
  );
  const list = parseJepsenEdn(`({:process 1, :type :invoke, :f :write, :value 2})`, "h.edn");
  assert.equal(list.length, 1);
});

test("EDN errors name the file, the line and what was expected", () => {
  assert.throws(
    () =>
      parseJepsenEdn(
        `{:process 1, :type :invoke, :f :read}\n{:process 1, :type :okay, :f :read}`,
        "h.edn",
      ),
    (e: unknown) =>
      e instanceof UserError &&
      e.exitCode === 4 &&
      /h\.edn, line 2: expected :type to be :invoke, :ok, :fail or :info, found "okay"/.test(
        e.message,
      ),
  );
  assert.throws(
    () => parseJepsenEdn(`{:process "x", :type :invoke, :f :read}`, "h.edn"),
    /h\.edn, line 1: expected :process to be an integer or :nemesis/,
  );
  assert.throws(
    () =>
      parseJepsenEdn(`[{:process 1, :type :invoke, :f :read}\n {:process 1 :type :ok}]`, "h.edn"),
    /h\.edn, line 2: expected :f/,
  );
  assert.throws(
    () => parseJepsenEdn(`[{:process 1,\n :type :invoke`, "h.edn"),
    /h\.edn, line 2: malformed EDN, expected '}' to close a map/,
  );
});

test("log lines with tabs or spaces, other lines skipped, error text kept", () => {
  const log = [
    "2017-02-05 12:00:00,123{GMT}\tINFO  [jepsen worker 3] jepsen.util - 3\t:invoke\t:read\tnil",
    "INFO  jepsen.core - Running test",
    "INFO  jepsen.util - 3 :ok :read 4",
    "INFO  jepsen.util - :nemesis\t:info\t:start\t[:n1 :n2]",
    "INFO  jepsen.util - 5\t:info\t:cas\t[1 2]\tindeterminate: timed out",
  ].join("\n");
  const ops = parseJepsenLog(log, "jepsen.log");
  assert.deepEqual(
    ops.map((o) => [o.process, o.type, o.f, o.value]),
    [
      [3, "invoke", "read", null],
      [3, "ok", "read", 4],
      ["nemesis", "info", "start", ["n1", "n2"]],
      [5, "info", "cas", [1, 2]],
    ],
  );
  assert.equal(ops[3].error, "indeterminate: timed out");
  assert.throws(
    () => parseJepsenLog("INFO  jepsen.util - 3\t:ok\t:read\t[1 2", "j.log"),
    /j\.log, line 1: malformed value/,
  );
  assert.throws(() => parseJepsenLog("nothing here", "j.log"), /expected Jepsen log lines/);
});

test("importers never crash on random or truncated input", () => {
  const edn = `[{:process 0, :type :invoke, :f :read, :value nil}\n {:process 0, :type :ok, :f :read, :value [1 #{2}]}]`;
  const log =
    "INFO  jepsen.util - 3\t:invoke\t:cas\t[1 2]\nINFO  jepsen.util - 3\t:ok\t:cas\t[1 2]\n";
  for (const [sample, parse] of [
    [edn, parseJepsenEdn],
    [log, parseJepsenLog],
  ] as const) {
    fc.assert(
      fc.property(mangled(sample), (text) => parsesOrRefuses(() => parse(text, "f"))),
      { numRuns: 1500 },
    );
  }
});

// Jepsen's independent histories: `[key value]` tuples, checked per key.
const INDEPENDENT_VALID = `[{:process 0, :type :invoke, :f :write, :value [0 1]}
 {:process 0, :type :ok, :f :write, :value [0 1]}
 {:process 1, :type :invoke, :f :write, :value [1 5]}
 {:process 1, :type :ok, :f :write, :value [1 5]}
 {:process 2, :type :invoke, :f :read, :value [0 nil]}
 {:process 2, :type :ok, :f :read, :value [0 1]}
 {:process :nemesis, :type :info, :f :start, :value nil}
 {:process 0, :type :invoke, :f :cas, :value [1 [5 6]]}
 {:process 0, :type :ok, :f :cas, :value [1 [5 6]]}
 {:process 1, :type :invoke, :f :cas, :value [1 [5 7]]}
 {:process 1, :type :fail, :f :cas, :value [1 [5 7]]}
 {:process 2, :type :invoke, :f :read, :value [1 nil]}
 {:process 2, :type :ok, :f :read, :value [1 6]}]`;
// Key 1 reads 5 after its cas from 5 to 6 completed: a stale read.
const INDEPENDENT_INVALID = `[{:process 0, :type :invoke, :f :write, :value [0 1]}
 {:process 0, :type :ok, :f :write, :value [0 1]}
 {:process 1, :type :invoke, :f :write, :value [1 5]}
 {:process 1, :type :ok, :f :write, :value [1 5]}
 {:process 0, :type :invoke, :f :cas, :value [1 [5 6]]}
 {:process 0, :type :ok, :f :cas, :value [1 [5 6]]}
 {:process 2, :type :invoke, :f :read, :value [0 nil]}
 {:process 2, :type :ok, :f :read, :value [0 1]}
 {:process 2, :type :invoke, :f :read, :value [1 nil]}
 {:process 2, :type :ok, :f :read, :value [1 5]}]`;

test("independent histories: [key value] tuples become keyed ops, the nemesis untouched", () => {
  const ops = parseJepsenEdn(INDEPENDENT_VALID, "h.edn");
  assert.deepEqual(
    ops.filter((o) => o.process !== "nemesis").map((o) => [o.f, o.key, o.value]),
    [
      ["write", "0", 1],
      ["write", "0", 1],
      ["write", "1", 5],
      ["write", "1", 5],
      ["read", "0", null],
      ["read", "0", 1],
      ["cas", "1", [5, 6]],
      ["cas", "1", [5, 6]],
      ["cas", "1", [5, 7]],
      ["cas", "1", [5, 7]],
      ["read", "1", null],
      ["read", "1", 6],
    ],
  );
  assert.equal(ops[6]!.key, undefined);
  assert.equal(ops[6]!.value, null);
  const log = parseJepsenLog(
    "INFO  jepsen.util - 3\t:invoke\t:read\t[:a nil]\nINFO  jepsen.util - 3\t:ok\t:read\t[:a 4]\n",
    "j.log",
  );
  assert.deepEqual(
    log.map((o) => [o.key, o.value]),
    [
      ["a", null],
      ["a", 4],
    ],
  );
});

test("independent histories: valid and invalid examples give the right verdicts", async () => {
  const valid = await checkLinearizable(parseJepsenEdn(INDEPENDENT_VALID, "v.edn"), {
    model: "cas-register",
    init: 0,
  });
  assert.equal(valid.valid, true, valid.reason);
  const invalid = await checkLinearizable(parseJepsenEdn(INDEPENDENT_INVALID, "i.edn"), {
    model: "cas-register",
    init: 0,
  });
  assert.equal(invalid.valid, false);
  assert.equal(invalid.explanation?.key, "1");
  assert.equal(invalid.explanation?.op.completeIndex, 9);
  // Checked as whole values, as before the split, the valid history was judged invalid.
  const whole = parseJepsenEdn(INDEPENDENT_VALID, "v.edn").map((o) =>
    o.key === undefined ? o : { ...o, key: undefined, value: [Number(o.key), o.value] },
  );
  const wrong = await checkLinearizable(whole, { model: "cas-register", init: 0 });
  assert.equal(wrong.valid, false, "whole tuples are not one register");
});

test("histories that are not independent are left whole", () => {
  // cas-register: reads of nil, bare writes, cas [from to].
  const plain = parseJepsenEdn(
    `[{:process 0, :type :invoke, :f :cas, :value [0 2]}
      {:process 0, :type :ok, :f :cas, :value [0 2]}
      {:process 1, :type :invoke, :f :read, :value nil}
      {:process 1, :type :ok, :f :read, :value 2}]`,
    "p.edn",
  );
  assert.ok(plain.every((o) => o.key === undefined));
  assert.deepEqual(plain[0]!.value, [0, 2]);
  // Only cas ops, each [from to]: still a single register.
  const casOnly = parseJepsenEdn(
    `[{:process 0, :type :invoke, :f :cas, :value [0 nil]} {:process 0, :type :fail, :f :cas, :value [0 nil]}]`,
    "c.edn",
  );
  assert.deepEqual(casOnly[0]!.value, [0, null]);
  assert.equal(casOnly[0]!.key, undefined);
  // Transactions: [[:read :x nil] [:read :y nil]] is two micro-ops, not a key and a value.
  const txn = parseJepsenEdn(
    `[{:process 0, :type :invoke, :f :txn, :value [[:read :x nil] [:read :y nil]]}]`,
    "t.edn",
  );
  assert.equal(txn[0]!.key, undefined);
  // One op without a tuple and nothing is split.
  const mixed = parseJepsenEdn(
    `[{:process 0, :type :invoke, :f :write, :value [0 1]} {:process 0, :type :ok, :f :write, :value 1}]`,
    "m.edn",
  );
  assert.deepEqual(mixed[0]!.value, [0, 1]);
});
