// Correct node programs (Python and JavaScript, one per Maelstrom workload) run with `--bin`
// against real containers under partitions are valid, store their hash, and `faultline check`
// of the stored run agrees from its test.json alone. (The wrong ones: bin-wrong.test.ts.)
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readHistory } from "../../histories/jsonl.ts";
import { EXIT } from "../../core/errors.ts";
import { PROGRAMS, needDocker, recheck, runBin, testJson } from "./bin-runs.ts";

before(needDocker);

for (const { workload, correct } of PROGRAMS) {
  test(`${workload}: ${correct} under partitions is valid, and re-checks valid`, async () => {
    const r = await runBin(correct, workload);
    assert.equal(r.code, EXIT.valid, r.output);
    const test = testJson(r.dir!);
    assert.equal(test.workload, workload);
    assert.match(test.program!.sha256, /^[0-9a-f]{64}$/);
    const results = JSON.parse(readFileSync(join(r.dir!, "results.json"), "utf8"));
    assert.equal(results.valid, true);
    assert.equal(results.results.progress.valid, true, "every kind of op succeeded");
    const history = await readHistory(join(r.dir!, "history.jsonl"));
    assert.ok(
      history.some((o) => o.process === "nemesis" && o.f === "start-partition"),
      "a partition happened during the run",
    );
    const again = await recheck(r.dir!);
    assert.equal(again.code, EXIT.valid, again.output);
  });
}

test("lin-kv through any node: requests to n2 and n3 are forwarded to n1, which answers the client", async () => {
  const r = await runBin("python/lin_kv.py", "lin-kv", ["--seed", "9"]);
  assert.equal(r.code, EXIT.valid, r.output);
  const history = await readHistory(join(r.dir!, "history.jsonl"));
  for (const node of ["n2", "n3"]) {
    const ok = history.filter((o) => o.type === "ok" && o.node === node).length;
    assert.ok(ok > 50, `${ok} ops sent to ${node} were answered ok`);
  }
});

test("kafka through the lin-kv service, a few messages per poll: valid, every acknowledged send confirmed", async () => {
  const r = await runBin("js/kafka-lin-kv.js", "kafka");
  assert.equal(r.code, EXIT.valid, r.output);
  const results = JSON.parse(readFileSync(join(r.dir!, "results.json"), "utf8"));
  assert.equal(results.results.kafka.unconfirmed, 0);
  assert.ok(results.results.kafka.sends.ok > 100, JSON.stringify(results.results.kafka.sends));
});

test("unique-ids with 64-bit ids (beyond 2^53): every id reaches the history exact", async () => {
  const r = await runBin("python/unique_ids_snowflake.py", "unique-ids");
  assert.equal(r.code, EXIT.valid, r.output);
  const ids = (await readHistory(join(r.dir!, "history.jsonl"))).filter(
    (o) => o.type === "ok" && o.f === "generate",
  );
  assert.ok(ids.length > 100, `${ids.length} ids generated`);
  for (const op of ids) {
    // Rounded to a JavaScript number, an id near 2^60 loses its lowest 7 bits or so: there the
    // program puts the number of the node that made it.
    assert.equal(typeof op.value, "bigint", `op ${op.index}: ${String(op.value)}`);
    assert.equal((op.value as bigint) & 1023n, BigInt(op.node!.slice(1)), `op ${op.index}`);
  }
});
