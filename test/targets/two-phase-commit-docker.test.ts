// two-phase-commit end to end, through the real CLI and real containers (needs a Docker engine
// and the node image from `make setup`, and fails saying so otherwise): a default run (the
// target's own nemesis, kill,loss,pause,partition, 30 s) of the correct protocol is valid and
// reports blocking around the coordinator's kill; each broken variant is caught by a default
// run, by the property its mistake breaks. One seed each; bench/two-phase-commit.bench.ts
// measures the catch rate over unseen seeds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { needDocker, storedRun, tempStore } from "./cli-runs.ts";
import { EXIT } from "../../core/errors.ts";
import type { AtomicCommitResult } from "../../checkers/atomic-commit/index.ts";

const store = tempStore("2pc");
needDocker();

/** A default run: only the target, the variant and the seed are given; `runs` > 1 runs the
 *  next seeds after a valid one (--test-count), as a user hunting a rare bug would. */
async function defaultRun(variant: string, seed: number, runs = 1) {
  const args = ["run", "--store", store, "--target", "two-phase-commit", "--time-limit", "30"];
  args.push("--variant", variant, "--seed", String(seed), "--test-count", String(runs));
  const r = await storedRun(args);
  const result = r.results.results["atomic-commit"] as AtomicCommitResult;
  return { code: r.code, output: r.output, result };
}

test("correct two-phase commit under its default nemesis is valid, and blocking is reported around the coordinator's kill", async () => {
  const r = await defaultRun("correct", 41);
  assert.match(r.output, /nemesis kill,loss,pause,partition/);
  assert.equal(r.code, EXIT.valid, r.output);
  const x = r.result.transactions;
  assert.ok(x.committed > 200 && x.aborted > 10, JSON.stringify(x));
  assert.equal(r.result.termination.valid, true);
  assert.ok(r.result.termination.judgedNodes.length === 3, JSON.stringify(r.result.termination));
  // The coordinator was killed (and paused): its downtime is measured against READY spans.
  const b = r.result.blocking;
  assert.ok(b.count > 100, JSON.stringify(b));
  assert.ok(
    b.coordinatorDown.intervals >= 1 && b.coordinatorDown.totalMs > 1000,
    JSON.stringify(b),
  );
  assert.match(
    r.output,
    /atomic-commit: valid \(.*; blocking: \d+ READY spans, median \d+ ms, max \d+ ms, \d+ ms of them with n1 down\)/,
  );
});

const CAUGHT_BY: [variant: string, seed: number, property: RegExp][] = [
  // Pausing the coordinator leaves participants READY past their timeout: they abort on their
  // own while the coordinator, resumed, commits.
  ["abort-on-timeout", 42, /agreement/],
  // The restarted coordinator finds WAIT for transactions it had committed, and aborts them.
  ["no-decision-log", 43, /agreement|no reversal/],
  // A restarted participant's log shows COMMIT with no READY: its vote was never on record.
  ["vote-not-logged", 44, /commit from READY/],
];

for (const [variant, seed, property] of CAUGHT_BY) {
  test(`variant ${variant} is caught by a default run`, async () => {
    // A second seed only after a miss: the benchmark measures how often one run catches it.
    const r = await defaultRun(variant, seed, 2);
    assert.equal(r.code, EXIT.invalid, r.output);
    assert.equal(r.result.valid, false);
    assert.match(r.result.reason ?? "", property);
  });
}
