// Multi-Paxos end to end, through the real CLI and real containers (needs a Docker engine and
// the node image from `make setup`, and fails saying so otherwise): a default run (the target's
// own nemesis, partition,kill) of correct Paxos is valid, and each broken variant is caught by
// a default run. One seed each; docs/paxos.md gives the catch rate measured on unseen seeds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readHistory } from "../../histories/jsonl.ts";
import { needDocker, storedRun, tempStore } from "./cli-runs.ts";
import { EXIT } from "../../core/errors.ts";

const store = tempStore("paxos");
needDocker();

/** A default run: only the target, the variant, the seed and the length are given. */
async function defaultRun(variant: string, seed: number, extra: string[] = []) {
  const args = ["run", "--store", store, "--target", "paxos", "--seed", String(seed)];
  if (variant !== "correct") args.push("--variant", variant);
  args.push(...extra);
  return storedRun(args);
}

test("correct Paxos under its default nemesis (partition,kill) for 30 s is valid", async () => {
  const r = await defaultRun("correct", 3, ["--time-limit", "30"]);
  assert.match(r.output, /paxos, 3 nodes, lin-kv, nemesis partition,kill/);
  assert.equal(r.code, EXIT.valid, r.output);
  assert.ok(r.results.counts.ok > 100, `ops went through: ${JSON.stringify(r.results.counts)}`);
  const history = await readHistory(join(r.dir, "history.jsonl"));
  const nemesis = history
    .filter((o) => o.process === "nemesis" && o.type === "invoke")
    .map((o) => o.f);
  assert.ok(nemesis.includes("start-partition") && nemesis.includes("kill"), nemesis.join());
});

// Both mistakes show at the first partition: isolating a follower ends with a handover that
// cuts the leader off. The isolated leader of execute-before-majority acknowledges writes no
// majority learned; the follower that comes back, stale, takes over and, without the flush,
// overwrites the slots it missed. --stop-on-violation ends the run there; a second seed runs
// only after a miss.
for (const [variant, seed] of [
  ["execute-before-majority", 4],
  ["no-flush-takeover", 5],
] as const) {
  test(`variant ${variant} is caught by a default run`, async () => {
    const r = await defaultRun(variant, seed, [
      "--time-limit",
      "25",
      "--stop-on-violation",
      "--test-count",
      "2",
    ]);
    assert.equal(r.code, EXIT.invalid, r.output);
    assert.match(r.output, /cannot be linearized/);
  });
}
