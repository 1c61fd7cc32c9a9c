// The agreement checker's section of report.html: each judged instance in the row of the
// first property it breaks, hollow when its primary was faulty.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Op } from "../../histories/op.ts";
import { checkAgreement } from "../../checkers/agreement/index.ts";
import { renderReport } from "../../harness/report/html.ts";

const MS = 1_000_000;

function history(): Op[] {
  const ops: Omit<Op, "index">[] = [];
  let process = 0;
  const pair = (ms: number, f: string, node: string, value: unknown, done: unknown) => {
    ops.push({ time: ms * MS, process, type: "invoke", f, node, value });
    ops.push({ time: (ms + 5) * MS, process: process++, type: "ok", f, node, value: done });
  };
  const instance = (id: string, ms: number, primary: string, stored: Record<string, string>) => {
    pair(ms, "propose", primary, { instance: id, value: "T" }, { instance: id, value: "T" });
    for (const [node, value] of Object.entries(stored))
      pair(ms + 3000, "read_decision", node, { instance: id }, { instance: id, value });
  };
  instance("a1", 0, "n1", { n1: "T", n2: "T", n3: "T", n4: "T" });
  instance("a2", 100, "n2", { n1: "T", n2: "T", n3: "F", n4: "T" }); // BA1 and BA2
  instance("a3", 200, "n3", { n1: "F", n2: "F", n3: "T", n4: "F" }); // BA2
  return ops.map((o, index) => ({ ...o, index }) as Op);
}

test("report.html draws the agreement instances by the property each breaks", () => {
  const h = history();
  const result = checkAgreement(h, { decideWithinMs: 3000 });
  assert.equal(result.ba1.violations, 1);
  assert.equal(result.ba2.violations, 2);
  const html = renderReport({
    title: "t",
    verdict: false,
    incomplete: false,
    parameters: {},
    history: h,
    explanation: [],
    results: { agreement: result },
  });
  assert.match(html, /<h2>Agreement instances<\/h2>/);
  assert.match(html, /agreed \(1\)<\/span>.*BA1 \(1\)<\/span>.*BA2 \(1\)<\/span>/);
  assert.match(html, /<title>a2: BA1<\/title>/);
  assert.match(html, /<title>a3: BA2<\/title>/);
  assert.equal((html.match(/<title>a\d+: /g) ?? []).length, 3);
});
