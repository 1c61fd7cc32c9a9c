// Reports from a history alone: latencies, fault intervals, the HTML page, JUnit, progress.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import type { Op } from "../../histories/op.ts";
import { counts, faultIntervals, latencies, throughput } from "../../harness/report/series.ts";
import { renderReport } from "../../harness/report/html.ts";
import { renderJunit } from "../../harness/report/junit.ts";
import { Progress } from "../../harness/report/progress.ts";

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

test("latencies, counts, throughput and fault intervals come from the history", () => {
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
  assert.deepEqual(faultIntervals(history), [
    { label: "start-partition isolate-one n1", from: 1, to: 3.2 },
  ]);
});

test("report.html: verdict, shaded fault, dots coloured by outcome, explanation, no external assets", () => {
  const html = renderReport({
    title: "t <1>",
    verdict: false,
    incomplete: false,
    parameters: { seed: 42 },
    history,
    explanation: ["op 5 cannot be linearized"],
  });
  assert.match(html, /INVALID/);
  assert.match(html, /t &lt;1&gt;/, "escaped");
  assert.equal((html.match(/<circle/g) ?? []).length, 2);
  assert.match(html, /fill="#8a5cc7"/, "the info op in purple");
  assert.match(html, /<title>start-partition isolate-one n1/);
  assert.match(html, /op 5 cannot be linearized/);
  assert.match(html, /<th>seed<\/th><td>42<\/td>/);
  assert.doesNotMatch(html, /(src|href)="http/);
});

test("junit.xml: a violation is a failure, an interrupted run an error", () => {
  const bad = renderJunit({
    suite: "s",
    durationSeconds: 1,
    results: { linearizable: { valid: false, reason: "x" } },
    incomplete: false,
    explanation: ["why"],
  });
  assert.match(bad, /failures="1" errors="0"/);
  assert.match(bad, /<failure message="x">x\nwhy<\/failure>/);
  const cut = renderJunit({
    suite: "s",
    durationSeconds: 1,
    results: {},
    incomplete: true,
    explanation: [],
  });
  assert.match(cut, /errors="1"/);
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
