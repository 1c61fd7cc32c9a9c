// `faultline replay` and `faultline shrink` end to end against real containers (needs a
// Docker engine and the node image; fails saying so otherwise). A failing run of Raft's
// local-read variant under partitions and pauses is replayed (its faults on the nodes they
// hit) and reproduced; shrunk to at most 3 faults, and the shrunk run fails when replayed.
// About 2 minutes: 3 nodes, short time limits, a small shrink budget.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { dockerAvailable } from "../../harness/runtime/index.ts";
import { readHistory } from "../../histories/jsonl.ts";
import type { Op } from "../../histories/op.ts";
import { EXIT } from "../../core/errors.ts";

const root = new URL("../../", import.meta.url).pathname;
const store = mkdtempSync(join(tmpdir(), "faultline-replay-e2e-"));

before(async () => {
  assert.ok(
    await dockerAvailable(),
    "These tests need a Docker engine: run `make setup` (or point DOCKER_HOST at one).",
  );
});

async function faultline(args: string[]) {
  const r = await execa(join(root, "bin/faultline"), [...args, "--store", store], {
    cwd: root,
    reject: false,
    all: true,
  });
  return { code: r.exitCode, output: r.all ?? "", stdout: r.stdout };
}

const testJson = (dir: string) => JSON.parse(readFileSync(join(dir, "test.json"), "utf8"));
const stored = (output: string) => [...output.matchAll(/Stored in (\S+)/g)].map((m) => m[1]!);
/** Each fault's start in a history: id, kind and the nodes it hit. */
const faultStarts = (ops: Op[]) =>
  new Map(
    ops
      .filter((o) => o.process === "nemesis" && o.type === "invoke" && o.faultId !== undefined)
      .map((o) => [o.faultId as number, `${o.f} ${JSON.stringify(o.value)}`]),
  );

test("a failing Raft run is replayed on the nodes its faults hit, and shrunk to at most 3 faults that still fail", async () => {
  // The failing run: local-read under partitions and pauses (of the leader first), run to its
  // end so that several faults are recorded.
  const run = await faultline([
    "run",
    "--target",
    "raft",
    "--variant",
    "local-read",
    "--nodes",
    "3",
    "--nemesis",
    "partition,pause",
    "--time-limit",
    "12",
    "--nemesis-interval",
    "1.5",
    "--settle",
    "1",
    "--seed",
    "31",
  ]);
  assert.equal(run.code, EXIT.invalid, run.output);
  const original = stored(run.output)[0]!;
  const originalStarts = faultStarts(await readHistory(join(original, "history.jsonl")));
  assert.ok(originalStarts.size >= 3, `faults recorded: ${[...originalStarts.values()]}`);

  // Replay, twice, each ended at its first violation.
  const replay = await faultline(["replay", original, "--test-count", "2", "--stop-on-violation"]);
  assert.equal(replay.code, EXIT.invalid, replay.output);
  const m =
    /Reproduced the stored verdict in (\d) of 2 replays \(linearizable INVALID (\d)\/2/.exec(
      replay.output,
    );
  assert.ok(m && Number(m[2]) >= 1, replay.output);
  for (const dir of stored(replay.output)) {
    const t = testJson(dir);
    assert.equal(t.replayOf, original);
    assert.equal(t.seed, 31);
    // The faults it reached before it stopped hit the nodes they hit in the original.
    for (const [id, start] of faultStarts(await readHistory(join(dir, "history.jsonl"))))
      assert.equal(start, originalStarts.get(id), `fault ${id}`);
  }

  // Shrink: a small budget; every candidate ends at its first violation.
  const shrink = await faultline(["shrink", original, "--budget", "3", "--tries", "2"]);
  assert.equal(shrink.code, EXIT.invalid, shrink.output);
  const smallest = /Stored in (\S+)/.exec(shrink.stdout)?.[1];
  assert.ok(smallest, shrink.output);
  const t = testJson(smallest);
  assert.equal(t.shrunkFrom, original);
  const faults = new Set(t.schedule.map((e: { faultId: number }) => e.faultId));
  assert.ok(faults.size <= 3, `${faults.size} faults left`);
  assert.ok(faults.size < originalStarts.size, "fewer faults than the original");
  assert.ok(t.timeLimitSeconds < 12, `time limit ${t.timeLimitSeconds}`);
  assert.match(shrink.stdout, new RegExp(`Replay it: faultline replay ${smallest}`));
  // Only the smallest failing candidate stays in the store, beside the original and replays.
  assert.equal(readdirSync(join(store, "raft")).filter((d) => d !== "latest").length, 1 + 2 + 1);

  // The shrunk run still fails when replayed.
  const again = await faultline(["replay", smallest]);
  assert.equal(again.code, EXIT.invalid, again.output);
  assert.match(again.output, /Reproduced the stored verdict in 1 of 1 replay/);
});
