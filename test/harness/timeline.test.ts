// The report's anomaly timeline (harness/report/timeline.ts) on a real check of a hand-made
// stale read, the window the linearizable checker's explanation carries for it, latency
// quantiles per operation kind, wrapping explanation lines, and the same report from
// `faultline check <imported history> --report`.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { analyze } from "../../harness/run/analyze.ts";
import { renderReport } from "../../harness/report/html.ts";
import { latencyByKind, nearestRank } from "../../harness/report/quantiles.ts";
import type { Explanation } from "../../checkers/linearizable/index.ts";
import { kvHistory } from "./store-fixtures.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SPECS = [{ checker: "linearizable", options: { model: "kv" } }];

async function reportOf(stale: boolean) {
  const history = kvHistory(stale);
  const analysis = await analyze(history, SPECS);
  const html = renderReport({
    title: "t",
    verdict: analysis.verdict,
    incomplete: false,
    parameters: {},
    history,
    explanation: analysis.explanation,
    results: analysis.results,
  });
  return { html, analysis };
}

/** The <g> of each drawn op, with its classes and history index. */
function bars(html: string) {
  return [...html.matchAll(/<g class="(tl-op[^"]*)" data-index="(\d+)">/g)].map((m) => ({
    classes: m[1]!.split(" "),
    index: Number(m[2]),
  }));
}

test("the explanation carries the failing key's ops around the failing op", async () => {
  const { analysis } = await reportOf(true);
  const e = (analysis.results.linearizable as unknown as { explanation: Explanation }).explanation;
  assert.equal(e.key, "b");
  assert.equal(e.op.process, 3);
  assert.deepEqual(
    e.window.map((o) => `${o.process}:${o.f}`),
    ["0:write", "1:write", "3:read", "4:cas"],
  );
  assert.ok(
    e.window.every((o) => o.key === "b"),
    "only the failing key's ops",
  );
  assert.deepEqual(
    e.conflicting.map((o) => o.value),
    [2],
  );
});

test("a violation's report draws the timeline: lanes, failing and conflicting ops, the linearization", async () => {
  const { html, analysis } = await reportOf(true);
  const e = (analysis.results.linearizable as unknown as { explanation: Explanation }).explanation;
  assert.match(html, /<h2>Anomaly timeline: key b<\/h2>/);
  const drawn = bars(html);
  assert.equal(drawn.length, 4);
  const failing = drawn.filter((b) => b.classes.includes("tl-failing"));
  assert.deepEqual(
    failing.map((b) => b.index),
    [e.op.index],
  );
  const conflicting = drawn.filter((b) => b.classes.includes("tl-conflicting"));
  assert.deepEqual(
    conflicting.map((b) => b.index),
    e.conflicting.map((o) => o.index),
  );
  // The write of 2 is both in the longest linearization and the op the read conflicts with.
  assert.ok(conflicting[0]!.classes.includes("tl-linearized"));
  assert.equal((html.match(/class="tl-lin-point"/g) ?? []).length, e.prefixLength);
  assert.match(html, /<polyline points="[^"]+" fill="none" stroke="#1a3f7a"/);
  for (const p of [0, 1, 3, 4]) assert.match(html, new RegExp(`>process ${p}</text>`));
  // The cas whose outcome is unknown is dashed; the failing read's tooltip says why it is red.
  assert.match(
    html,
    /data-index="\d+"><rect[^>]*stroke-dasharray="4 3"[^>]*\/><text[^>]*>cas \[2,3\]/,
  );
  assert.match(
    html,
    /process 3: read 1 \(ok\)\ninvoked at 0\.160 s, completed at 0\.175 s \(15\.0 ms\)\ncannot be linearized/,
  );
  assert.doesNotMatch(html, /<script/);
});

test("a valid report has no timeline", async () => {
  const { html } = await reportOf(false);
  assert.doesNotMatch(html, /Anomaly timeline|tl-op/);
});

test("latency quantiles per operation kind, nearest rank, of the ok ops", async () => {
  assert.equal(nearestRank([1, 2, 3, 4], 0.5), 2);
  assert.equal(nearestRank([1, 2, 3, 4], 0.99), 4);
  const rows = latencyByKind([
    { at: 0, latencyMs: 10, type: "ok", f: "read" },
    { at: 0, latencyMs: 30, type: "ok", f: "read" },
    { at: 0, latencyMs: 20, type: "ok", f: "read" },
    { at: 0, latencyMs: 500, type: "info", f: "read" },
    { at: 0, latencyMs: 5, type: "fail", f: "write" },
  ]);
  assert.deepEqual(rows, [
    { f: "read", ok: 3, fail: 0, info: 1, p50: 20, p90: 30, p99: 30, max: 30 },
    { f: "write", ok: 0, fail: 1, info: 0 },
    { f: "all", ok: 3, fail: 1, info: 1, p50: 20, p90: 30, p99: 30, max: 30 },
  ]);
  const { html } = await reportOf(true);
  assert.match(html, /<h2>Latency by operation<\/h2>/);
  assert.match(
    html,
    /<tr class="latency-row"><th>write<\/th><td>6<\/td><td>0<\/td><td>0<\/td><td>4\.0<\/td>/,
  );
  assert.match(
    html,
    /<tr class="latency-row"><th>cas<\/th><td>0<\/td><td>0<\/td><td>1<\/td><td>-<\/td>/,
  );
  // Long explanation lines wrap instead of running off the page.
  assert.match(html, /pre\.explanation\{white-space:pre-wrap/);
  assert.match(html, /<pre class="explanation">linearizable: INVALID/);
});

test("faultline check of an imported history --report writes the same timeline", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "faultline-timeline-"));
  const edn = path.join(dir, "stale.edn");
  // Written 1, then 2; a read invoked after the write of 2 completed returns 1.
  fs.writeFileSync(
    edn,
    `[{:type :invoke, :f :write, :value 1, :process 0}
 {:type :ok, :f :write, :value 1, :process 0}
 {:type :invoke, :f :write, :value 2, :process 1}
 {:type :ok, :f :write, :value 2, :process 1}
 {:type :invoke, :f :read, :value nil, :process 2}
 {:type :invoke, :f :write, :value 5, :process 0}
 {:type :ok, :f :read, :value 1, :process 2}
 {:type :info, :f :write, :value 5, :process 0}]
`,
  );
  const out = path.join(dir, "out", "report.html");
  const r = await execa(
    path.join(ROOT, "bin/faultline"),
    ["check", edn, "--model", "cas-register", "--init", "0", "--report", out],
    { reject: false, cwd: ROOT },
  );
  assert.equal(r.exitCode, 1, r.stderr);
  const html = fs.readFileSync(out, "utf8");
  assert.match(html, /<h2>Anomaly timeline<\/h2>/);
  const drawn = bars(html);
  assert.deepEqual(
    drawn.filter((b) => b.classes.includes("tl-failing")).map((b) => b.index),
    [4],
  );
  assert.deepEqual(
    drawn.filter((b) => b.classes.includes("tl-conflicting")).map((b) => b.index),
    [2],
  );
  // No times in an EDN history: the tooltips say nothing of seconds, the order still draws.
  assert.doesNotMatch(html, /invoked at/);
  fs.rmSync(dir, { recursive: true, force: true });
});
