// Replaying a stored run, in process (fake cluster and target; real containers:
// replay-shrink-docker.test.ts): its parameters and recorded faults come back as a RunSpec, a
// replay hits the nodes the run hit and says whose replay it is, a --bin program must be the
// same by hash, and the verdicts are compared checker by checker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { readHistory } from "../../histories/jsonl.ts";
import type { Op } from "../../histories/op.ts";
import { getWorkload } from "../../harness/workloads/index.ts";
import { runTest, type RunDeps } from "../../harness/run/orchestrate.ts";
import { RUN_DEFAULTS, type RunSpec } from "../../harness/run/spec.ts";
import {
  loadStoredRun,
  specOfStored,
  targetOfStored,
  type StoredRun,
} from "../../harness/replay/stored.ts";
import { failsLike, reproduces, tally } from "../../harness/replay/verdicts.ts";
import { replayEvents } from "../../nemesis/recorded.ts";
import { replayCommand, rerunCommand } from "../../harness/report/replay.ts";
import { getTarget } from "../../targets/index.ts";
import { programHash } from "../../targets/bin/index.ts";
import { UserError } from "../../core/errors.ts";
import { fakeCluster, fakeTarget } from "./fakes.ts";

const quiet = new Writable({ write: (_c, _e, cb) => cb() });

/** The fake target, whose leader is `leader` (the run's nemesis aims at it). */
function deps(leader: string): RunDeps {
  return {
    getTarget: () => ({ ...fakeTarget({ stale: true }), leader: async () => leader }),
    getWorkload,
    createCluster: async (s) => fakeCluster(s.nodes, []),
    progressStream: quiet,
  };
}

const starts = (ops: Op[]) =>
  ops
    .filter((o) => o.process === "nemesis" && o.type === "invoke" && o.faultId !== undefined)
    .map((o) => `${o.faultId} ${o.f} ${JSON.stringify(o.value)}`);

test("a replay of a stored run: same parameters and seed, its faults on the nodes they hit, marked as a replay", async () => {
  const store = mkdtempSync(join(tmpdir(), "faultline-replay-"));
  const spec: RunSpec = {
    ...RUN_DEFAULTS,
    target: "fake",
    variant: "stale",
    nodes: 5,
    workload: "lin-kv",
    nemesis: ["pause", "partition", "kill"],
    nemesisIntervalSeconds: 0.15,
    timeLimitSeconds: 1.5,
    settleSeconds: 0,
    rate: 500,
    concurrency: 4,
    seed: 23,
    store,
    liveCheck: false,
  };
  const first = await runTest(spec, deps("n4"));
  assert.equal(first.verdict, false, "the stale fake is caught");
  // Through a `latest` link, which the replay resolves to the run folder itself.
  symlinkSync(first.dir, join(store, "the-run"));
  const stored = await loadStoredRun(join(store, "the-run"));
  assert.equal(stored.dir, first.dir);
  assert.equal(stored.verdict, false);
  assert.deepEqual(stored.checkers, { linearizable: false, progress: true });
  assert.ok(stored.caughtAtMs! > 0, "the op the checker could not fit says when");
  assert.ok(stored.faults.length >= 3 && stored.faults.every((f) => f.recorded));
  assert.ok(
    stored.faults.some((f) => f.nodes.includes("n4") && f.nodes.length === 1),
    "a fault aimed at the leader hit n4",
  );

  // Replayed while another node leads: the same nodes all the same.
  const again = specOfStored(stored, {
    schedule: replayEvents(stored.faults),
    replayOf: stored.dir,
    store,
  });
  assert.deepEqual(
    { ...again, schedule: undefined, replayOf: undefined },
    { ...spec, schedule: undefined, replayOf: undefined },
    "every parameter as stored",
  );
  const replay = await runTest(again, deps("n2"));
  const [a, b] = await Promise.all(
    [first.dir, replay.dir].map((d) => readHistory(join(d, "history.jsonl"))),
  );
  assert.deepEqual(starts(b!), starts(a!));
  const test = JSON.parse(readFileSync(join(replay.dir, "test.json"), "utf8"));
  assert.equal(test.replayOf, first.dir);
  assert.ok(test.schedule.every((e: { pinned?: boolean }) => e.pinned));
  assert.equal(test.seed, 23);
  // The report and JUnit name the replay command of the folder.
  assert.equal(replayCommand(test, replay.dir), `faultline replay ${replay.dir}`);
  // Without the folder: `faultline run` with the parameters, keys included.
  assert.match(
    rerunCommand({ ...test, keys: 2 })!,
    /^faultline run --target fake --variant stale .*--keys 2 .*--seed 23$/,
  );
  assert.match(
    readFileSync(join(replay.dir, "junit.xml"), "utf8"),
    /name="replay" value="faultline replay /,
  );
  // A plain rerun of the seed re-aims at the leader of the moment: other nodes.
  const rerun = await runTest({ ...spec }, deps("n2"));
  assert.notDeepEqual(starts(await readHistory(join(rerun.dir, "history.jsonl"))), starts(a!));
});

test("a stored run that is not one, or a program that changed, is refused in one sentence", async () => {
  const dir = mkdtempSync(join(tmpdir(), "faultline-replay-bad-"));
  await assert.rejects(
    loadStoredRun(dir),
    (e) => e instanceof UserError && /is not a stored run/.test(e.message),
  );
  writeFileSync(join(dir, "history.jsonl"), "");
  writeFileSync(join(dir, "test.json"), JSON.stringify({ checker: { model: "kv" } }));
  await assert.rejects(loadStoredRun(dir), /no seed, target or schedule/);

  // A --bin run whose program has changed since.
  const prog = join(dir, "prog");
  mkdirSync(prog);
  writeFileSync(join(prog, "node.py"), "print('hello')\n");
  const run: StoredRun = {
    dir,
    test: {
      target: "bin",
      seed: 1,
      schedule: [],
      program: { path: join(prog, "node.py"), args: [], imagePackages: [], sha256: "0".repeat(64) },
    },
    history: [],
    checkers: {},
    faults: [],
  };
  await assert.rejects(
    targetOfStored(run, getTarget),
    (e) =>
      e instanceof UserError &&
      /is not the one .* ran \(sha256 [0-9a-f]{12} now, 000000000000 then\)/.test(e.message),
  );
  // The same program passes.
  (run.test.program as { sha256: string }).sha256 = await programHash(join(prog, "node.py"));
  assert.equal((await targetOfStored(run, getTarget)).name, "bin");
  await assert.rejects(
    targetOfStored({ ...run, test: { target: "raft", seed: 1, schedule: [] } }, getTarget, "x.py"),
    /--bin is for replaying a run of your own program/,
  );
});

test("verdicts: reproduced checker by checker; failing as the stored run did", () => {
  const stored = { linearizable: false, progress: true } as const;
  assert.equal(reproduces(stored, { linearizable: false, progress: true }), true);
  assert.equal(
    reproduces(stored, { linearizable: false, progress: "unknown" }),
    true,
    "invalid by the same checker; progress counted apart",
  );
  assert.equal(reproduces(stored, { linearizable: "unknown", progress: true }), false);
  assert.equal(
    reproduces(stored, { linearizable: true, progress: false }),
    false,
    "another checker",
  );
  assert.equal(reproduces({ a: true, b: true }, { a: true, b: true }), true);
  assert.equal(reproduces({ a: true, b: true }, { a: true, b: "unknown" }), false);
  assert.equal(reproduces(stored, undefined), false);
  assert.equal(failsLike(stored, { linearizable: false, progress: "unknown" }), true);
  assert.equal(
    failsLike(stored, { linearizable: true, progress: false }),
    false,
    "another checker",
  );
  assert.equal(
    tally(stored, [
      { linearizable: false, progress: true },
      { linearizable: true, progress: true },
      undefined,
    ]),
    "Reproduced the stored verdict in 1 of 3 replays (linearizable INVALID 1/3, progress valid 2/3).",
  );
  assert.match(tally({}, [undefined]), /no verdict to compare with/);
});
