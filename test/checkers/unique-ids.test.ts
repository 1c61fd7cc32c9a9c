// The unique-ids checker: ok ids are distinct as JSON; duplicates are counted and named.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkUniqueIds, uniqueIdsChecker } from "../../checkers/unique-ids/index.ts";
import { History } from "./maelstrom-history.ts";

const gen = (h: History, id: unknown, node = "n1", type: "ok" | "info" | "fail" = "ok") =>
  h.op("generate", type, undefined, node, id);

test('distinct ids are valid: 1 and "1" differ, info and fail generates do not count', () => {
  const h = new History();
  gen(h, 1);
  gen(h, "1");
  gen(h, [1, "n2"], "n2");
  gen(h, { node: "n1", seq: 1 });
  gen(h, 1, "n2", "info"); // never seen by anyone
  const r = checkUniqueIds(h.ops);
  assert.equal(r.valid, true, r.reason);
  assert.equal(r.generated, 4);
  assert.equal(r.distinct, 4);
});

test("a duplicate id is caught, counted and named with every op that returned it", () => {
  const h = new History();
  const a = gen(h, "n1-1", "n1");
  gen(h, "n1-2", "n1");
  const b = gen(h, "n1-1", "n2");
  const c = gen(h, "n1-1", "n3");
  gen(h, { seq: 2, node: "n2" }, "n2");
  gen(h, { node: "n2", seq: 2 }, "n3"); // the same object, keys in another order
  const r = checkUniqueIds(h.ops);
  assert.equal(r.valid, false);
  assert.equal(r.duplicatedIds, 2);
  assert.equal(r.duplicateOps, 3);
  assert.deepEqual(r.duplicates[0], {
    id: "n1-1",
    ops: [
      { op: a.index, node: "n1" },
      { op: b.index, node: "n2" },
      { op: c.index, node: "n3" },
    ],
  });
  assert.match(
    uniqueIdsChecker.explain(r).join("\n"),
    /"n1-1" returned by op 1 on n1, op 5 on n2, op 7 on n3/,
  );
});

test("an ok generate without an id is reported as missing", () => {
  const h = new History();
  gen(h, 1);
  const bad = gen(h, null);
  const r = checkUniqueIds(h.ops);
  assert.equal(r.valid, false);
  assert.deepEqual(r.missingOps, [bad.index]);
});

test("property: distinct ids are valid; repeating any one of them is caught", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.oneof(fc.integer(), fc.string()), {
        minLength: 1,
        maxLength: 50,
        selector: (v) => JSON.stringify(v),
      }),
      fc.nat(),
      (ids, pick) => {
        const h = new History();
        for (const id of ids) gen(h, id, `n${(pick % 3) + 1}`);
        assert.equal(checkUniqueIds(h.ops).valid, true);
        const again = ids[pick % ids.length];
        gen(h, again, "n9");
        const r = checkUniqueIds(h.ops);
        assert.equal(r.valid, false);
        assert.deepEqual(
          r.duplicates.map((d) => d.id),
          [again],
        );
      },
    ),
  );
});
