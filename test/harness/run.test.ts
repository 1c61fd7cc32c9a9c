// The flow of one run, in process: fake cluster and target, the real generator, workers,
// nemesis, history writer, checker, store and reports. (Real containers: run-docker.test.ts.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readlinkSync, readdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readHistory } from "../../histories/jsonl.ts";
import { getWorkload } from "../../harness/workloads/index.ts";
import { runTest, type RunDeps, type RunStatus } from "../../harness/run/orchestrate.ts";
import { leftBehind } from "../../harness/commands/interrupt.ts";
import { RUN_DEFAULTS, type RunSpec } from "../../harness/run/spec.ts";
import { prefixClosedSpecs } from "../../harness/run/live-check.ts";
import { Progress } from "../../harness/report/progress.ts";
import { EXIT, UserError } from "../../core/errors.ts";
import { fakeCluster, fakeTarget, type FakeTargetOptions } from "./fakes.ts";
import { Writable } from "node:stream";

const quiet = new Writable({ write: (_c, _e, cb) => cb() });

function setup(opts: FakeTargetOptions, signal?: AbortSignal) {
  const calls: string[] = [];
  const store = mkdtempSync(join(tmpdir(), "faultline-run-"));
  const spec: RunSpec = {
    ...RUN_DEFAULTS,
    target: "fake",
    nodes: 3,
    workload: "register",
    nemesis: ["partition", "kill", "pause"],
    nemesisIntervalSeconds: 0.1,
    timeLimitSeconds: 1.5,
    settleSeconds: 0,
    rate: 2000,
    seed: 11,
    store,
  };
  const deps: RunDeps = {
    getTarget: (name) => {
      if (name !== "fake") throw new UserError(`Unknown target ${name}.`);
      return fakeTarget(opts, calls);
    },
    getWorkload,
    createCluster: async (s) => fakeCluster(s.nodes, calls),
    progressStream: quiet,
    signal,
  };
  return { spec, deps, calls, store };
}

test("a correct system is valid, and the run folder holds everything", async () => {
  const { spec, deps, calls, store } = setup({ flaky: true });
  const outcome = await runTest(spec, deps);
  assert.equal(outcome.verdict, true, outcome.explanation.join("\n"));
  assert.equal(outcome.exitCode, EXIT.valid);
  assert.ok(outcome.counts.ok > 100 && outcome.counts.info > 0);
  // store layout
  const test = JSON.parse(readFileSync(join(outcome.dir, "test.json"), "utf8"));
  assert.equal(test.seed, 11);
  assert.deepEqual(test.checkers, [
    { checker: "linearizable", options: { model: "kv" } },
    { checker: "progress" },
  ]);
  assert.equal(test.workload, "lin-kv", "the old name register is stored as lin-kv");
  assert.match(test.version, /^0\.1\.0/);
  assert.equal(JSON.parse(readFileSync(join(outcome.dir, "results.json"), "utf8")).valid, true);
  const report = readFileSync(join(outcome.dir, "report.html"), "utf8");
  assert.match(report, /VALID/);
  assert.match(report, /<svg/);
  assert.doesNotMatch(report, /<script src|<link /, "no external assets");
  assert.match(readFileSync(join(outcome.dir, "junit.xml"), "utf8"), /failures="0"/);
  assert.equal(
    readFileSync(join(outcome.dir, "logs", "n2.log"), "utf8"),
    "container output of n2\n",
  );
  assert.ok(existsSync(join(outcome.dir, "logs", "n1-_var_log_node.log")));
  assert.equal(readlinkSync(join(store, "latest")), join("fake", outcome.dir.split("/").at(-1)!));
  // the history: nemesis ops present, every fault healed, final reads of every key
  const history = await readHistory(join(outcome.dir, "history.jsonl"));
  const nem = history.filter((o) => o.process === "nemesis" && o.type === "invoke").map((o) => o.f);
  assert.ok(nem.includes("start-partition") && nem.includes("kill") && nem.includes("pause"));
  assert.equal(nem.filter((f) => f === "kill").length, nem.filter((f) => f === "start").length);
  assert.ok(calls.indexOf("teardown") > calls.lastIndexOf("healNetwork"));
  const lastReads = history.filter((o) => o.type === "invoke").slice(-3);
  assert.deepEqual(lastReads.map((o) => `${o.f} ${o.key}`).sort(), [
    "read k0",
    "read k1",
    "read k2",
  ]);
});

test("a system with stale reads is found invalid, with an explanation", async () => {
  const { spec, deps } = setup({ stale: true });
  const outcome = await runTest(spec, deps);
  assert.equal(outcome.verdict, false);
  assert.equal(outcome.exitCode, EXIT.invalid);
  assert.ok(outcome.explanation.length > 1);
  assert.match(readFileSync(join(outcome.dir, "report.html"), "utf8"), /INVALID/);
  assert.match(readFileSync(join(outcome.dir, "junit.xml"), "utf8"), /<failure/);
});

test("--stop-on-violation: the live check's first violation ends the run within seconds, healed and stored", async () => {
  const { spec, deps, calls } = setup({ stale: true });
  spec.timeLimitSeconds = 60;
  spec.stopOnViolation = true;
  const t0 = Date.now();
  const outcome = await runTest(spec, deps);
  const seconds = (Date.now() - t0) / 1000;
  assert.ok(seconds < 20, `stopped after ${seconds} s of a 60 s run`);
  assert.equal(outcome.exitCode, EXIT.invalid);
  assert.equal(outcome.incomplete, false);
  assert.match(
    outcome.explanation[0]!,
    /^Stopped at [\d.]+ s on the live check's first violation \(linearizable/,
  );
  const results = JSON.parse(readFileSync(join(outcome.dir, "results.json"), "utf8"));
  assert.deepEqual(results.stoppedOnViolation.violated, ["linearizable"]);
  assert.ok(results.stoppedOnViolation.atSeconds < seconds);
  // Healed before teardown: every pause resumed.
  assert.equal(
    calls.filter((c) => c.startsWith("pause")).length,
    calls.filter((c) => c.startsWith("resume")).length,
  );
  // The progress line carries the verdict so far.
  const progress = new Progress(
    {
      elapsedMs: () => 3000,
      totalMs: 60_000,
      faults: () => [],
      phase: () => "main",
      check: () => "check: no violation in 120 ops",
    },
    { stream: quiet },
  );
  assert.match(progress.line(), /faults: none \| check: no violation in 120 ops$/);
});

test("a live check runs only prefix-closed checkers; without --stop-on-violation a violation does not end the run", async () => {
  const { spec, deps } = setup({ stale: true });
  spec.timeLimitSeconds = 4;
  const outcome = await runTest(spec, deps);
  assert.equal(outcome.exitCode, EXIT.invalid);
  assert.doesNotMatch(outcome.explanation[0]!, /^Stopped at/);
  assert.deepEqual(
    prefixClosedSpecs(getWorkload("lin-kv", { nodes: ["n1"] }).checkers).map((s) => s.checker),
    ["linearizable"],
  );
});

test("an interrupted run heals, tears down, and stores a readable history marked incomplete", async () => {
  const stop = new AbortController();
  const { spec, deps, calls } = setup({ latencyMs: 1 }, stop.signal);
  spec.timeLimitSeconds = 30;
  const status: RunStatus = { clusterLive: false };
  deps.status = status;
  // Interrupted once ops are flowing (a fixed delay was too short on a busy machine, where the
  // run had not started its clients yet).
  let abortedAt = 0;
  const watch = setInterval(() => {
    const file = status.dir && join(status.dir, "history.jsonl");
    if (!file || !existsSync(file) || readFileSync(file, "utf8").split("\n").length < 20) return;
    clearInterval(watch);
    abortedAt = Date.now();
    stop.abort();
  }, 50);
  const outcome = await runTest(spec, deps);
  clearInterval(watch);
  assert.ok(abortedAt > 0, "the run was interrupted while ops were flowing");
  assert.ok(Date.now() - abortedAt < 5000, "stops promptly");
  assert.equal(outcome.exitCode, EXIT.interrupted);
  const results = JSON.parse(readFileSync(join(outcome.dir, "results.json"), "utf8"));
  assert.equal(results.incomplete, true);
  assert.ok((await readHistory(join(outcome.dir, "history.jsonl"))).length > 10);
  assert.ok(calls.includes("teardown"));
  assert.equal(
    calls.filter((c) => c.startsWith("pause")).length,
    calls.filter((c) => c.startsWith("resume")).length,
  );
});

test("bad input is one clear error before anything starts", async () => {
  const { spec, deps } = setup({});
  await assert.rejects(runTest({ ...spec, variant: "nope" }, deps), (e: UserError) =>
    /no variant "nope"/.test(e.message),
  );
  await assert.rejects(runTest({ ...spec, workload: "bank" }, deps), UserError);
  await assert.rejects(runTest({ ...spec, concurrency: 0 }, deps), /--concurrency/);
});

test("the cluster's id is in test.json before the cluster exists, and the console says how to clean it", async () => {
  const { spec, deps } = setup({});
  let said = "";
  deps.progressStream = new Writable({ write: (c, _e, cb) => ((said += String(c)), cb()) });
  const status: RunStatus = { clusterLive: false };
  deps.status = status;
  let seen: { asked?: string; stored?: string; live?: boolean } = {};
  deps.createCluster = async (s) => {
    // What a run that died right now would leave: test.json naming the cluster.
    const dir = status.dir!;
    seen = {
      asked: s.id,
      stored: JSON.parse(readFileSync(join(dir, "test.json"), "utf8")).cluster,
      live: status.clusterLive,
    };
    return { ...fakeCluster(s.nodes), id: s.id! };
  };
  const outcome = await runTest(spec, deps);
  assert.match(seen.asked ?? "", /^[0-9a-f]{6}$/);
  assert.equal(seen.stored, seen.asked);
  assert.equal(seen.live, true, "a second Ctrl-C now would name the cluster");
  assert.match(
    said,
    new RegExp(`cluster ${seen.asked}; if this run dies, \`faultline clean --id ${seen.asked}\``),
  );
  assert.equal(
    JSON.parse(readFileSync(join(outcome.dir, "results.json"), "utf8")).cluster,
    seen.asked,
  );
  assert.deepEqual(status, { dir: outcome.dir, clusterId: seen.asked, clusterLive: false });
  assert.match(
    leftBehind({ clusterLive: true, clusterId: "ab12cd", dir: "s/raft/x" }),
    /Cluster ab12cd may still be running .*`faultline clean --id ab12cd` removes it\. The partial history is in s\/raft\/x \(`faultline check s\/raft\/x`\)/,
  );
  assert.match(
    leftBehind({ clusterLive: false, clusterId: "ab12cd" }),
    /^No cluster is left running\.$/,
  );
});

test("a run refused before its cluster starts does not move latest, and leaves no folder", async () => {
  const { spec, deps, store } = setup({});
  const first = await runTest(spec, deps);
  const latest = () => [
    readlinkSync(join(store, "latest")),
    readlinkSync(join(store, "fake", "latest")),
  ];
  const before = latest();
  assert.equal(before[0], join("fake", first.dir.split("/").at(-1)!));
  deps.createCluster = async () => {
    throw new UserError("No Docker engine answers at tcp://127.0.0.1:1.", EXIT.environment);
  };
  await assert.rejects(
    runTest({ ...spec, seed: 12 }, deps),
    (e: UserError) => e.exitCode === EXIT.environment,
  );
  assert.deepEqual(latest(), before);
  assert.deepEqual(
    readdirSync(join(store, "fake")).sort(),
    [first.dir.split("/").at(-1)!, "latest"].sort(),
  );
});
