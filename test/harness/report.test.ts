// Reports from a history alone: latencies, what the faults did, the HTML page, JUnit, the
// replay command, progress.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import type { Op } from "../../histories/op.ts";
import yargs from "yargs";
import { counts, latencies, throughput } from "../../harness/report/series.ts";
import { describeGrudge, faultSpans } from "../../harness/report/faults.ts";
import { FAULT_COLOURS } from "../../harness/report/charts.ts";
import { renderReport } from "../../harness/report/html.ts";
import { registerCheckerSection } from "../../harness/report/sections.ts";
import { junitDocument, junitSuite, renderJunit } from "../../harness/report/junit.ts";
import { replayCommand } from "../../harness/report/replay.ts";
import { Progress } from "../../harness/report/progress.ts";
import { runCommand } from "../../harness/commands/run.ts";
import { isolate } from "../../nemesis/partitions.ts";

const s = 1e9;
const history: Op[] = [
  { index: 0, time: 0.1 * s, process: 0, type: "invoke", f: "write", key: "k0", value: 1 },
  { index: 1, time: 0.2 * s, process: 0, type: "ok", f: "write", key: "k0", value: 1 },
  {
    index: 2,
    time: 1.0 * s,
    process: "nemesis",
    type: "invoke",
    f: "start-partition",
    value: ["n1"],
    detail: { shape: "isolate-one" },
  },
  {
    index: 3,
    time: 1.1 * s,
    process: "nemesis",
    type: "info",
    f: "start-partition",
    value: ["n1"],
  },
  { index: 4, time: 1.5 * s, process: 1, type: "invoke", f: "read", key: "k0" },
  { index: 5, time: 2.5 * s, process: 1, type: "info", f: "read", key: "k0", error: "timeout" },
  {
    index: 6,
    time: 3.0 * s,
    process: "nemesis",
    type: "invoke",
    f: "stop-partition",
    value: ["n1"],
  },
  { index: 7, time: 3.2 * s, process: "nemesis", type: "info", f: "stop-partition", value: ["n1"] },
  { index: 8, time: 3.5 * s, process: 2, type: "invoke", f: "read", key: "k0" },
];

test("latencies, counts and throughput come from the history", () => {
  const points = latencies(history);
  assert.deepEqual(
    points.map((p) => [p.type, Math.round(p.latencyMs)]),
    [
      ["ok", 100],
      ["info", 1000],
    ],
  );
  assert.deepEqual(counts(history), { ok: 1, fail: 0, info: 1, pending: 1 });
  assert.deepEqual(
    throughput(points).map((b) => b.ok + b.info),
    [1, 0, 1],
  );
});

/** A nemesis op as nemesis/nemesis.ts records it. */
function nem(time: number, type: "invoke" | "info", f: string, value: string[], more = {}): Op {
  return { index: 0, time: time * s, process: "nemesis", type, f, value, ...more };
}
const FIVE = ["n1", "n2", "n3", "n4", "n5"];
/** What the nemesis records of an isolated n3 with a handover to n2, a staggered kill of
 *  n1,n2,n3 with n4,n5 frozen, a pause that failed to apply, and a loss never healed. */
const faulted: Op[] = [
  nem(1, "invoke", "start-partition", FIVE, {
    detail: { shape: "isolate-one", grudge: isolate(FIVE, "n3") },
  }),
  nem(1.1, "info", "start-partition", FIVE, {
    detail: { shape: "isolate-one", grudge: isolate(FIVE, "n3") },
  }),
  nem(6, "invoke", "stop-partition", FIVE),
  nem(8.2, "info", "stop-partition", FIVE, { detail: { isolatedLeaderFirst: "n2" } }),
  nem(11, "invoke", "kill", ["n1", "n2", "n3"], {
    detail: { who: "leader-majority", frozen: ["n4", "n5"] },
  }),
  nem(11.6, "info", "kill", ["n1", "n2", "n3"], {
    detail: { who: "leader-majority", frozen: ["n4", "n5"] },
  }),
  nem(16, "invoke", "start", ["n1", "n2", "n3"]),
  nem(20, "info", "start", ["n1", "n2", "n3"], { detail: { restartedLeader: "n1" } }),
  nem(21, "invoke", "pause", ["n4"], { detail: { who: "leader" } }),
  nem(21.1, "info", "pause", ["n4"], { detail: { who: "leader" }, error: "unable to freeze" }),
  nem(24, "invoke", "resume", ["n4"]),
  nem(24.1, "info", "resume", ["n4"]),
  nem(25, "invoke", "start-loss", ["n5"], { detail: { who: "one", probability: 0.4 } }),
  nem(25.1, "info", "start-loss", ["n5"], { detail: { who: "one", probability: 0.4 } }),
  { index: 0, time: 27 * s, process: 0, type: "invoke", f: "read", key: "k0", node: "n1" },
  { index: 0, time: 28 * s, process: 0, type: "ok", f: "read", key: "k0", value: 1, node: "n1" },
];

test("fault spans: what was really applied, to which nodes, and how it was healed", () => {
  const spans = faultSpans(faulted);
  assert.deepEqual(
    spans.map((f) => [f.kind, f.from, f.to, f.applied, f.healed ?? "", f.error ?? ""]),
    [
      [
        "partition",
        1,
        8.2,
        "isolate-one: n3 isolated from n1,n2,n4,n5",
        "handover: n2, leading, was isolated first, then the network healed",
        "",
      ],
      [
        "kill",
        11,
        20,
        "killed n1,n2,n3 (the leader and a majority); n4,n5 frozen from before the kill until after the restart",
        "restarted; n1 led the restarted nodes before n4,n5 resumed",
        "",
      ],
      ["pause", 21, 24.1, "froze n4 (the leader)", "", "not applied: unable to freeze"],
      [
        "loss",
        25,
        28,
        "40% of the packets between n5 (one node) and their peers dropped",
        "not healed by the end of the history",
        "",
      ],
    ],
  );
  // Per node: n3 isolated until the heal began, then n2 cut off for the handover; the killed
  // nodes down from the kill to the restart, the survivors frozen throughout.
  const byNode = (i: number) =>
    spans[i]!.spans.map((x) => `${x.node} ${x.what} ${x.from}-${x.to}${x.beside ? " beside" : ""}`);
  assert.deepEqual(byNode(0), ["n3 isolated 1.1-6", "n2 isolated (handover) 6-8.2"]);
  assert.deepEqual(byNode(1), [
    "n1 killed 11.6-16",
    "n2 killed 11.6-16",
    "n3 killed 11.6-16",
    "n4 frozen during the kill 11-20 beside",
    "n5 frozen during the kill 11-20 beside",
  ]);
});

test("grudges in words: sides, an isolated node, and what each node sees otherwise", () => {
  assert.equal(describeGrudge(isolate(FIVE, "n2")).text, "n2 isolated from n1,n3,n4,n5");
  const halves = describeGrudge({
    n1: ["n3", "n4", "n5"],
    n2: ["n3", "n4", "n5"],
    n3: ["n1", "n2"],
    n4: ["n1", "n2"],
    n5: ["n1", "n2"],
  });
  assert.equal(halves.text, "n3,n4,n5 | n1,n2");
  assert.deepEqual(halves.cutOff, ["n1", "n2"], "the minority side is the one cut off");
  // A bridge: n3 sees both sides, which do not see each other.
  const bridge = describeGrudge({
    n1: ["n4", "n5"],
    n2: ["n4", "n5"],
    n3: [],
    n4: ["n1", "n2"],
    n5: ["n1", "n2"],
  });
  assert.match(bridge.text, /n3 sees n1,n2,n3,n4,n5/);
  assert.match(bridge.text, /n1 sees n1,n2,n3;/);
});

test("Jepsen's nemesis ops (:info :start twice, :info :stop twice) are a fault of kind other", () => {
  const jepsen: Op[] = [
    { index: 0, time: 1 * s, process: "nemesis", type: "info", f: "start", value: null },
    {
      index: 1,
      time: 1.2 * s,
      process: "nemesis",
      type: "info",
      f: "start",
      value: "Cut off {:n1 #{:n2}}",
    },
    { index: 2, time: 5 * s, process: "nemesis", type: "info", f: "stop", value: null },
    {
      index: 3,
      time: 5.5 * s,
      process: "nemesis",
      type: "info",
      f: "stop",
      value: "fully connected",
    },
  ];
  const [span, ...rest] = faultSpans(jepsen);
  assert.equal(rest.length, 0);
  assert.deepEqual(
    [span!.kind, span!.from, span!.appliedAt, span!.healAt, span!.to],
    ["other", 1, 1.2, 5, 5.5],
  );
});

test("report.html: verdict, checkers, each fault kind in its own colour, faults by node, charts that fit the window", () => {
  const html = renderReport({
    title: "t <1>",
    verdict: false,
    incomplete: false,
    parameters: { seed: 42 },
    history: [...history.slice(0, 2), ...history.slice(4, 6), ...faulted],
    explanation: ["op 5 cannot be linearized"],
    results: {
      linearizable: { valid: false, reason: "op 5 cannot be linearized" },
      progress: { valid: true, reason: "all ok" },
    },
    replay: "faultline run --target raft --seed 42",
  });
  assert.match(html, /class="verdict v-false">INVALID</);
  assert.match(html, /t &lt;1&gt;/, "escaped");
  assert.match(html, /<th>linearizable<\/th><td><span class="verdict-text v-text-invalid">invalid/);
  assert.match(html, /<th>progress<\/th><td><span class="verdict-text v-text-valid">valid/);
  assert.match(html, /Replay: <code>faultline run --target raft --seed 42<\/code>/);
  assert.equal((html.match(/<circle/g) ?? []).length, 3);
  assert.match(html, /fill="#8a5cc7"/, "the info op in purple");
  // Shading: one band per fault, in its kind's colour, titled with what was applied.
  const bandOf = (kind: string) =>
    new RegExp(`<g class="fault fault-${kind}"><rect [^>]*fill="${FAULT_COLOURS[kind]}"`);
  for (const kind of ["partition", "kill", "pause", "loss"]) assert.match(html, bandOf(kind));
  assert.equal(
    new Set(["partition", "kill", "pause", "loss"].map((k) => FAULT_COLOURS[k])).size,
    4,
  );
  assert.match(
    html,
    /<title>partition: isolate-one: n3 isolated from n1,n2,n4,n5 \(1\.0 s to 8\.2 s\)/,
  );
  // Faults by node: n3's bar in the partition colour, the frozen survivors drawn apart.
  assert.match(
    html,
    /<rect class="lane lane-partition" data-node="n3"[^>]*fill="#1f77b4"[^>]*><title>n3: isolated/,
  );
  assert.doesNotMatch(html, /class="lane lane-partition" data-node="n1"/, "n1 was not cut off");
  assert.match(
    html,
    /<rect class="lane lane-kill" data-node="n4"[^>]*stroke-dasharray[^>]*><title>n4: frozen during the kill/,
  );
  assert.match(html, /frozen during a kill<\/span>/, "in the legend");
  // The table says the same.
  assert.match(html, /<td>killed n1,n2,n3 \(the leader and a majority\); n4,n5 frozen/);
  assert.match(html, /not applied: unable to freeze/);
  // Every chart scales to the window and has axis titles; legends name outcomes and kinds.
  const charts = html.match(/<svg class="chart"[^>]*>/g) ?? [];
  assert.equal(charts.length, 3, "latency, throughput, faults by node");
  for (const c of charts) assert.match(c, /viewBox="0 0 960 \d+" width="100%"/);
  assert.equal((html.match(/time since the run started \(s\)/g) ?? []).length, 3);
  assert.match(html, /latency \(log scale\)/);
  assert.match(html, /completions per second/);
  const legends = html.match(/<p class="legend">.*?<\/p>/g) ?? [];
  assert.equal(legends.length, 3);
  assert.match(
    legends[0]!,
    /ok<\/span>.*fail<\/span>.*info<\/span>.*partition<\/span>.*kill<\/span>.*pause<\/span>.*loss<\/span>/,
  );
  assert.match(html, /op 5 cannot be linearized/);
  assert.match(html, /<th>seed<\/th><td>42<\/td>/);
  assert.doesNotMatch(html, /(src|href)="http|<script/);
});

test("a checker's own section is drawn on the report's time axis", () => {
  registerCheckerSection("report-test-checker", ({ name, result, axis }) => ({
    title: `Timeline of ${name}`,
    html: `<p>${result.reason} at x=${axis.x(axis.duration)}</p>`,
  }));
  const html = renderReport({
    title: "t",
    verdict: true,
    incomplete: true,
    parameters: {},
    history,
    explanation: [],
    results: { "report-test-checker": { valid: true, reason: "seen" } },
  });
  assert.match(html, /<h2>Timeline of report-test-checker<\/h2>\n<p>seen at x=944<\/p>/);
  assert.match(html, /v-incomplete">INCOMPLETE/);
});

test("junit.xml: seed and parameters as properties, a timestamp, the replay command; failures and errors", () => {
  const bad = renderJunit({
    suite: "s",
    durationSeconds: 12.5,
    checkSeconds: 0.25,
    results: { linearizable: { valid: false, reason: "x\ny" }, progress: { valid: true } },
    incomplete: false,
    explanation: ["why \u0001"],
    timestamp: new Date("2026-11-21T05:17:42.222Z"),
    properties: { seed: 7, nemesis: ["partition", "kill"], variant: "local-read" },
    replay: "faultline run --target raft --variant local-read --seed 7",
    dir: "store/raft/x",
  });
  assert.match(
    bad,
    /<testsuites name="faultline" tests="2" failures="1" errors="0" time="12.500">/,
  );
  assert.match(
    bad,
    /<testsuite name="s" tests="2" failures="1" errors="0" skipped="0" time="12.500" timestamp="2026-11-21T05:17:42">/,
  );
  assert.match(bad, /<property name="seed" value="7"\/>/);
  assert.match(
    bad,
    /<property name="nemesis" value="\[&quot;partition&quot;,&quot;kill&quot;\]"\/>/,
  );
  assert.match(bad, /<property name="variant" value="local-read"\/>/);
  assert.match(
    bad,
    /<property name="replay" value="faultline run --target raft --variant local-read --seed 7"\/>/,
  );
  assert.match(bad, /<property name="stored" value="store\/raft\/x"\/>/);
  assert.match(
    bad,
    /<testcase classname="s" name="linearizable" time="0.250"><failure message="x&#10;y" type="invalid">x\ny\nwhy \nReplay: faultline run/,
  );
  assert.match(bad, /<system-out>Replay: faultline run [^<]*\nStored in store\/raft\/x/);
  assert.doesNotMatch(bad, /\u0001/, "characters XML 1.0 forbids are dropped");
  const cut = renderJunit({
    suite: "s",
    durationSeconds: 1,
    results: {},
    incomplete: true,
    explanation: [],
  });
  assert.match(cut, /errors="1"/);
  // Several runs (--test-count): one suite each, totals summed.
  const doc = junitDocument([
    junitSuite({
      suite: "a",
      durationSeconds: 1,
      results: { c: { valid: true } },
      incomplete: false,
      explanation: [],
    }),
    junitSuite({
      suite: "b",
      durationSeconds: 2,
      results: { c: { valid: "unknown" } },
      incomplete: false,
      explanation: [],
    }),
  ]);
  assert.match(doc, /<testsuites name="faultline" tests="2" failures="0" errors="1" time="3.000">/);
  assert.equal((doc.match(/<testsuite /g) ?? []).length, 2);
});

test("the replay command gives back the run's parameters to `faultline run`", async () => {
  const testJson = {
    name: "raft/local-read lin-kv partition",
    target: "raft",
    variant: "local-read",
    nodes: 3,
    workload: "lin-kv",
    nemesis: ["partition", "pause"],
    nemesisIntervalSeconds: 2.5,
    timeLimitSeconds: 20,
    concurrency: 4,
    seed: 123,
    rate: 0,
    timeoutMs: 700,
    settleSeconds: 1,
    checkTimeLimitMs: 5000,
    liveCheck: false,
    stopOnViolation: true,
    schedule: [],
  };
  const cmd = replayCommand(testJson)!;
  assert.match(cmd, /^faultline run --target raft --variant local-read /);
  // Parsed by the run command's own flags, strictly: every flag exists and means the same.
  const build = runCommand.builder as (y: never) => ReturnType<typeof yargs>;
  const argv = (await build(
    yargs(cmd.split(" ").slice(2))
      .strict()
      .exitProcess(false)
      .fail((m) => {
        throw new Error(m);
      }) as never,
  ).parseAsync()) as Record<string, unknown>;
  assert.deepEqual(
    [
      argv.target,
      argv.variant,
      argv.nodes,
      argv.workload,
      argv.nemesis,
      argv["nemesis-interval"],
      argv["time-limit"],
      argv.concurrency,
      argv.seed,
      argv.rate,
      argv["timeout-ms"],
      argv.settle,
      argv["check-time-limit"],
      argv["live-check"],
      argv["stop-on-violation"],
    ],
    [
      "raft",
      "local-read",
      3,
      "lin-kv",
      "partition,pause",
      2.5,
      20,
      4,
      123,
      0,
      700,
      1,
      5,
      false,
      true,
    ],
  );
  const bin = replayCommand({
    ...testJson,
    target: "bin",
    program: { path: "/a b/node.py", args: ["--x", "it's"], imagePackages: ["ruby"] },
  })!;
  assert.match(
    bin,
    /^faultline run --bin '\/a b\/node.py' --bin-arg --x --bin-arg 'it'\\''s' --image-packages ruby /,
  );
  assert.equal(replayCommand({ checker: { model: "kv" } }), undefined, "not a run");
});

test("progress: one line rewritten in place on a terminal, plain lines otherwise", async () => {
  for (const live of [true, false]) {
    let out = "";
    const stream = new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) });
    const p = new Progress(
      { elapsedMs: () => 12_000, totalMs: 60_000, faults: () => ["kill n2"], phase: () => "main" },
      { stream, live, plainEveryMs: 20 },
    );
    p.record({ ...history[1]! });
    p.record({ ...history[5]! });
    p.start();
    await new Promise((r) => setTimeout(r, live ? 300 : 60));
    p.stop();
    assert.match(out, /\[main\] 12s elapsed, 48s left \| ok 1 fail 0 info 1 \| faults: kill n2/);
    assert.equal(out.includes("\r"), live);
  }
});

test("report.html of an hour-long run (300,000 ops) renders: no argument list too long to spread", () => {
  const long: Op[] = [];
  for (let i = 0; i < 150_000; i++) {
    const time = i * 24e6; // an op every 24 ms: an hour
    long.push({ index: 2 * i, time, process: i % 10, type: "invoke", f: "read", key: "k" });
    long.push({
      index: 2 * i + 1,
      time: time + 5e6,
      process: i % 10,
      type: "ok",
      f: "read",
      key: "k",
    });
  }
  const html = renderReport({
    title: "soak",
    verdict: true,
    incomplete: false,
    parameters: {},
    history: long,
    explanation: [],
  });
  assert.match(html, /class="verdict v-true">VALID</);
  assert.ok(html.length < 5_000_000, `${html.length} bytes`);
});
