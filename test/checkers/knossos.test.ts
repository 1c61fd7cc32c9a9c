// Every real Jepsen history in ../shared/histories/knossos gets the verdict its EXPECTED.tsv
// gives (Knossos's own test suite), and the failing op Knossos's tests assert.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { loadHistory } from "../../histories/load.ts";
import { checkLinearizable, type LinearizableOptions } from "../../checkers/linearizable/index.ts";

const ROOT = path.resolve(import.meta.dirname, "../../../shared/histories/knossos");

function optionsFor(model: string): LinearizableOptions {
  if (model.startsWith("cas-register")) return { model: "cas-register", init: 0 };
  if (model.startsWith("multi-register")) return { model: "multi-register", init: { x: 0, y: 0 } };
  if (model.startsWith("mutex")) return { model: "mutex" };
  throw new Error(`EXPECTED.tsv names a model this test does not know: ${model}`);
}

test("every Knossos history gets its expected verdict", async () => {
  assert.ok(fs.existsSync(path.join(ROOT, "EXPECTED.tsv")), `missing ${ROOT}/EXPECTED.tsv`);
  const rows = fs.readFileSync(path.join(ROOT, "EXPECTED.tsv"), "utf8").trim().split("\n").slice(1);
  assert.ok(rows.length > 100, "EXPECTED.tsv lists the histories");
  const wrong: string[] = [];
  for (const row of rows) {
    const [file, model, expected] = row.split("\t");
    const history = await loadHistory(path.join(ROOT, file));
    const r = await checkLinearizable(history, { ...optionsFor(model), timeLimitMs: 20_000 });
    if (String(r.valid) !== expected)
      wrong.push(`${file}: expected ${expected}, got ${r.valid} (${r.reason})`);
  }
  assert.deepEqual(wrong, []);
});

// Knossos's wgl/linear tests assert the index of the op that cannot be linearized (the
// completion of the failing op); the last two with an initial value of nil.
const ASSERTED_OP: [string, unknown, number][] = [
  ["bad-analysis.edn", 0, 14],
  ["cas-failure.edn", 0, 491],
  ["immediate-failure.edn", 0, 3],
  ["rethink-fail-minimal.edn", null, 4],
  ["rethink-fail-smaller.edn", null, 217],
];

for (const [file, init, index] of ASSERTED_OP) {
  test(`${file}: the failing op is the one Knossos names (index ${index})`, async () => {
    const history = await loadHistory(path.join(ROOT, "cas-register/bad", file));
    const r = await checkLinearizable(history, { model: "cas-register", init });
    assert.equal(r.valid, false);
    assert.equal(r.explanation?.op.completeIndex, index);
  });
}

test("multi-register history: transactions over two keys are linearizable", async () => {
  const history = await loadHistory(path.join(ROOT, "multi-register/good/multi-register.edn"));
  const r = await checkLinearizable(history, { model: "multi-register", init: { x: 0, y: 0 } });
  assert.equal(r.valid, true);
});
