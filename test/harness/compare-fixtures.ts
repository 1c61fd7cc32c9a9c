// For compare's tests: a hand-made history whose figures are worked out by hand
// (test/harness/compare-metrics.test.ts says what each should be), and a reader of the table.
import assert from "node:assert/strict";
import type { Op } from "../../histories/op.ts";

export const ns = (s: number) => Math.round(s * 1e9);

/**
 * 100 client ops, one every 0.1 s from 0.0 to 9.9 s, each its own process:
 * - partition from 2.05 s (start invoked) to 4.05 s (stop completed): ops 2.1-4.0 (20);
 *   2.1-3.0 fail, 3.1-4.0 ok with 100 ms latency;
 * - kill from 6.05 s to 7.05 s: ops 6.1-7.0 (10), all info after 0.5 s;
 * - quiet: ops 0.0-2.0, 4.1-6.0, 7.1-9.9 (70); 7.1-7.4 info after 0.5 s, the rest ok, 10 ms.
 * And a final read at 12 s, which no figure may count.
 */
export function handMade(): Op[] {
  // Omit<Op, "index"> would lose Op's fields to its index signature: index 0 until sorted.
  const events: Op[] = [];
  const push = (e: Omit<Op, "index">) => events.push({ ...e, index: 0 } as Op);
  for (let i = 0; i < 100; i++) {
    const t = i / 10;
    const [type, latency]: ["ok" | "fail" | "info", number] =
      i >= 21 && i <= 30
        ? ["fail", 0.01]
        : i >= 31 && i <= 40
          ? ["ok", 0.1]
          : i >= 61 && i <= 74
            ? ["info", 0.5]
            : ["ok", 0.01];
    push({ time: ns(t), process: i, type: "invoke", f: "read", key: "k" });
    push({ time: ns(t + latency), process: i, type, f: "read", key: "k" });
  }
  const nemesis = (t: number, type: "invoke" | "info", f: string) =>
    push({ time: ns(t), process: "nemesis", type, f, value: ["n1"] });
  nemesis(2.05, "invoke", "start-partition");
  nemesis(2.06, "info", "start-partition");
  nemesis(4.0, "invoke", "stop-partition");
  nemesis(4.05, "info", "stop-partition");
  nemesis(6.05, "invoke", "kill");
  nemesis(6.06, "info", "kill");
  nemesis(6.9, "invoke", "start");
  nemesis(7.05, "info", "start");
  push({ time: ns(12), process: 500, type: "invoke", f: "read", key: "k", final: true });
  push({ time: ns(12.01), process: 500, type: "ok", f: "read", key: "k", final: true });
  return events.sort((a, b) => a.time - b.time).map((e, index) => ({ ...e, index }) as Op);
}

/** The table's cells by contender and column header (columns are 2+ spaces apart). */
export function parseTable(stdout: string): Map<string, Record<string, string>> {
  const lines = stdout.split("\n");
  const at = lines.findIndex((l) => l.startsWith("contender"));
  assert.ok(at >= 0, `no table in:\n${stdout}`);
  const header = lines[at]!.split(/ {2,}/);
  const rows = new Map<string, Record<string, string>>();
  for (const line of lines.slice(at + 2)) {
    if (!line.trim() || line.startsWith("Comparison:") || line.startsWith("Note:")) break;
    const cells = line.trim().split(/ {2,}/);
    rows.set(cells[0]!, Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""])));
  }
  return rows;
}
