// The figures of `faultline compare` on a hand-made history whose answers are worked out by
// hand below: availability per fault kind and in quiet time, latency, throughput, messages per
// op, recovery after each heal; then pooling over runs, the table's cells, the message meter
// and the command line's parsing.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Op } from "../../histories/op.ts";
import { handMade, ns } from "./compare-fixtures.ts";
import {
  faultSpans,
  measureRun,
  percentile,
  quietTime,
  recoveryAfter,
} from "../../harness/compare/metrics.ts";
import { summarize } from "../../harness/compare/summary.ts";
import { columns, verdictCell } from "../../harness/compare/table.ts";
import { MessageMeter, sentSince } from "../../harness/run/message-meter.ts";
import { parseSeeds, parseTargetSpecs, shared } from "../../harness/compare/contenders.ts";
import type { SentCount, Target } from "../../targets/types.ts";

const results = {
  valid: false,
  messages: { sent: 380, perOkOp: 5 },
  results: { linearizable: { valid: false }, progress: { valid: true } },
};

test("availability per fault kind and in quiet time, from the fault spans of the history", () => {
  const m = measureRun({ history: handMade(), results });
  assert.deepEqual(m.availability, {
    quiet: { ok: 66, total: 70 },
    partition: { ok: 10, total: 20 },
    kill: { ok: 0, total: 10 },
  });
  assert.deepEqual(
    m.faults.map((f) => [f.kind, f.from, f.to]),
    [
      ["partition", 2.05, 4.05],
      ["kill", 6.05, 7.05],
    ],
  );
});

test("latency, throughput and messages count only the main phase's ok ops", () => {
  const m = measureRun({ history: handMade(), results });
  assert.equal(m.okOps, 76);
  // 66 ok ops at 10 ms, 10 at 100 ms.
  assert.equal(percentile(m.okLatenciesMs, 0.5)?.toFixed(3), "10.000");
  assert.equal(percentile(m.okLatenciesMs, 0.99)?.toFixed(3), "100.000");
  // From the first invocation (0 s) to the last completion of the main phase (9.91 s).
  assert.equal(m.mainSeconds.toFixed(3), "9.910");
  const s = summarize([m]);
  assert.equal(s.throughput!.toFixed(3), (76 / 9.91).toFixed(3));
  assert.equal(s.messagesPerOkOp, 5);
  assert.deepEqual(m.checkers, { linearizable: false, progress: true });
  assert.equal(m.verdict, false);
});

test("recovery: until ok ops complete at half the quiet rate again, per heal", () => {
  const m = measureRun({ history: handMade(), results });
  // Quiet time 9.91 - 2 - 1 = 6.91 s; ok completions in it: 21 + 1 (the 4.0 s op completes at
  // 4.1 s, after the heal) + 20 + 25 = 67. Half the rate over 0.5 s: ceil(67/6.91/4) = 3.
  assert.equal(m.quietOkRate!.toFixed(4), (67 / 6.91).toFixed(4));
  // Partition healed at 4.05: ok completions at 4.10, 4.11, 4.21 lie within 0.5 s: 0.05 s.
  // Kill healed at 7.05: the info ops 7.1-7.4 complete nothing ok; 7.51, 7.61, 7.71: 0.46 s.
  assert.deepEqual(
    m.recoveries.map((r) => [r.kind, r.healedAt, r.seconds?.toFixed(2)]),
    [
      ["partition", 4.05, "0.05"],
      ["kill", 7.05, "0.46"],
    ],
  );
  const s = summarize([m]);
  assert.equal(s.recovery.heals, 2);
  assert.equal(s.recovery.medianSeconds?.toFixed(2), "0.05"); // nearest rank: the lower middle
  assert.equal(s.recovery.maxSeconds?.toFixed(2), "0.46");
});

test("recoveryAfter: too sparse a window, or none before the limit, is no recovery", () => {
  // Quiet rate 12/s: 3 completions within 0.5 s needed. One every 0.3 s never has three.
  const sparse = [1.0, 1.3, 1.6, 1.9, 2.2];
  assert.equal(recoveryAfter(sparse, 0.5, 10, 12), null);
  const dense = [1.0, 1.3, 1.6, 1.9, 2.0, 2.1];
  assert.equal(recoveryAfter(dense, 0.5, 10, 12)?.toFixed(2), "1.10"); // 1.6, 1.9, 2.0
  assert.equal(recoveryAfter(dense, 0.5, 1.95, 12), null); // 2.0 is past the next fault
  assert.equal(quietTime([{ kind: "kill", from: 1, to: 3, healed: true }], 0, 10), 8);
});

test("fault spans come from the fault registry: every kind, omissions too", () => {
  const ops = [
    { time: ns(1), process: "nemesis", type: "invoke", f: "start-send-omission" },
    { time: ns(1.1), process: "nemesis", type: "info", f: "start-send-omission" },
    { time: ns(2), process: "nemesis", type: "invoke", f: "stop-send-omission" },
    { time: ns(2.1), process: "nemesis", type: "info", f: "stop-send-omission" },
    { time: ns(3), process: "nemesis", type: "invoke", f: "pause" },
    { time: ns(4), process: 1, type: "invoke", f: "read" },
  ].map((o, index) => ({ ...o, index }) as Op);
  assert.deepEqual(
    faultSpans(ops).map((f) => [f.kind, f.from, f.to, f.healed]),
    [
      ["send-omission", 1, 2.1, true],
      ["pause", 3, 4, false],
    ],
  );
});

test("pooling over runs adds counts up, and the verdict cell says how many runs failed", () => {
  const bad = measureRun({ history: handMade(), results });
  const good = measureRun({
    history: handMade(),
    results: { valid: true, results: { linearizable: { valid: true } } },
  });
  const s = summarize([bad, good]);
  assert.deepEqual(s.availability.partition, { ok: 20, total: 40, share: 0.5 });
  assert.deepEqual(s.verdict, { valid: 1, invalid: 1, unknown: 0, none: 0 });
  assert.equal(verdictCell(s.verdict, s.runs).text, "INVALID 1/2");
  assert.equal(verdictCell(s.checkers.progress!, s.runs).text, "valid");
  // One run without a message count: no messages per op for the row.
  assert.equal(s.messagesPerOkOp, null);
  const cols = columns([s], ["kill", "partition"]);
  assert.deepEqual(
    cols.map((c) => c.header),
    [
      "runs",
      "verdict",
      "linearizable",
      "progress",
      "avail quiet",
      "avail kill",
      "avail partition",
      "ok/s",
      "p50 ms",
      "p99 ms",
      "msgs/op",
      "recover s med/max",
    ],
  );
  assert.equal(cols[6]!.cell(s).text, "50.0%");
  assert.equal(cols[10]!.cell(s).text, "-");
});

test("sentSince: a first reading is the baseline; a restarted counter counts from 0", () => {
  assert.equal(sentSince(undefined, { sent: 90, since: "a" }), 0);
  assert.equal(sentSince({ sent: 90, since: "a" }, { sent: 130, since: "a" }), 40);
  assert.equal(sentSince({ sent: 90, since: "a" }, { sent: 200, since: "b" }), 200);
  assert.equal(sentSince({ sent: 90 }, { sent: 20 }), 20);
});

test("the message meter adds up every node's differences across restarts", async () => {
  // n1 is read 100, 150, restarted (30), 60; n2 does not answer once, then 10, 25.
  const script: Record<string, (SentCount | undefined)[]> = {
    n1: [
      { sent: 100, since: "a" },
      { sent: 150, since: "a" },
      { sent: 30, since: "b" },
      { sent: 60, since: "b" },
    ],
    n2: [undefined, { sent: 10, since: "c" }, { sent: 25, since: "c" }],
  };
  const calls: Record<string, number> = { n1: 0, n2: 0 };
  const read = async (node: string) => {
    const seq = script[node]!;
    return seq[Math.min(calls[node]!++, seq.length - 1)];
  };
  const meter = new MessageMeter(read, ["n1", "n2"], 5);
  await meter.start();
  while (calls.n1! < 4) await new Promise((r) => setTimeout(r, 5));
  const counted = await meter.stop();
  // n1: 50 + 30 + 30; n2: baseline 10, then 15.
  assert.equal(counted?.sent, 125);
  assert.equal(counted?.nodes, 2);
  const silent = new MessageMeter(async () => undefined, ["n1"], 5);
  await silent.start();
  assert.equal(await silent.stop(), undefined);
});

test("compare's command line: seeds, TARGET:VARIANT, and defaults the contenders must share", () => {
  assert.deepEqual(parseSeeds("1-3"), [1, 2, 3]);
  assert.deepEqual(parseSeeds("5, 9,2-3"), [5, 9, 2, 3]);
  assert.throws(() => parseSeeds("3-1"), /backwards/);
  assert.throws(() => parseSeeds("1,x"), /whole numbers/);
  assert.throws(() => parseSeeds("1,1"), /twice/);
  assert.deepEqual(parseTargetSpecs(["raft", "raft:local-read,raft:correct"]), [
    { target: "raft" },
    { target: "raft", variant: "local-read" },
    { target: "raft" },
  ]);
  assert.throws(() => parseTargetSpecs(["raft:a:b"]), /TARGET:VARIANT/);
  const c = (label: string, defaultNodes: number) => ({
    label,
    target: { defaultNodes } as Target,
  });
  const nodes = (x: { target: Target }) => x.target.defaultNodes;
  assert.equal(shared(undefined, [c("a", 5), c("b", 5)], nodes, "--nodes N", "x"), 5);
  assert.equal(shared(3, [c("a", 5), c("b", 1)], nodes, "--nodes N", "x"), 3);
  assert.throws(
    () => shared(undefined, [c("raft", 5), c("bin:p.py", 3)], nodes, "--nodes N", "x"),
    /raft: 5; bin:p.py: 3\); give --nodes N/,
  );
});
