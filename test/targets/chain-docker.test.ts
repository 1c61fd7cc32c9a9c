// chain end to end, through the real CLI and real containers (needs a Docker engine and the
// node image from `make setup`, and fails saying so otherwise): a default run (the target's
// own nemesis, partition,kill, 30 s) of the correct chain is valid and repairs the chain;
// each broken variant is found not linearizable by a default run. One seed each; the
// variants' runs end at the first violation the live check finds (--stop-on-violation), which
// changes nothing before it. docs/chain.md gives the catch rates on unseen seeds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { needDocker, storedRun, tempStore } from "./cli-runs.ts";
import { EXIT } from "../../core/errors.ts";
import { readHistory } from "../../histories/jsonl.ts";

const store = tempStore("chain");
needDocker();

/** A default run: only the target, the variant, the seed and how it ends are given. */
async function defaultRun(variant: string, seed: number, extra: string[] = []) {
  const args = ["run", "--store", store, "--target", "chain", "--time-limit", "30"];
  args.push("--variant", variant, "--seed", String(seed), ...extra);
  return storedRun(args);
}

test("correct chain under its default nemesis (partition,kill) is valid, and the chain was repaired", async () => {
  const r = await defaultRun("correct", 21);
  assert.match(r.output, /nemesis partition,kill/);
  assert.equal(r.code, EXIT.valid, r.output);
  assert.ok(r.results.counts.ok > 200, `ops went through: ${JSON.stringify(r.results.counts)}`);
  const history = await readHistory(join(r.dir, "history.jsonl"));
  const faults = history.filter((o) => o.process === "nemesis" && o.type === "invoke");
  assert.ok(faults.some((o) => o.f === "start-partition") && faults.some((o) => o.f === "kill"));
  // The faults made the nodes repair the chain: some node adopted an epoch past the first,
  // and a removed node joined again as the tail.
  const logs = ["n1", "n2", "n3"].map((n) => readFileSync(join(r.dir, "logs", `${n}.log`), "utf8"));
  assert.ok(
    logs.some((l) => /adopted epoch [2-9]/.test(l)),
    "no repair in the node logs",
  );
  assert.ok(
    logs.some((l) => /joining after/.test(l)),
    "no node joined again",
  );
});

const CAUGHT: [variant: string, seed: number, extra: string[]][] = [
  // Acknowledged before the tail has it: a read at the tail right after the ack, or after
  // the head is cut off or killed, misses the write.
  ["head-replies", 22, []],
  // The head shows writes not yet at the tail; removed and rejoining nodes, stale or empty state.
  ["non-tail-reads", 23, []],
  // Needs the tail cut off and replaced while its clients still read from it (the heal of
  // the first partition does that); caught on 10 of 10 unseen seeds (docs/chain.md), and a
  // second seed only runs after a miss.
  ["unconfirmed-tail-reads", 24, ["--test-count", "2"]],
];

for (const [variant, seed, extra] of CAUGHT) {
  test(`variant ${variant} is found not linearizable by a default run`, async () => {
    const r = await defaultRun(variant, seed, ["--stop-on-violation", ...extra]);
    assert.match(r.output, /nemesis partition,kill/);
    assert.equal(r.code, EXIT.invalid, r.output);
    assert.equal(r.results.results.linearizable.valid, false, JSON.stringify(r.results.results));
  });
}
