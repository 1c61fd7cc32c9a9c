// Maelstrom's unique-ids workload: every id a node hands out (generate_ok) is distinct across
// the whole cluster and run, compared as JSON (object key order aside). Only ok generates
// count: an info generate's id was never seen. An ok generate without an id (recorded as
// null by the workload's codec) is no id at all, and is reported as missing.
import type { Op } from "../../histories/op.ts";
import { pairHistory } from "../../histories/pair.ts";
import type { Checker, CheckerOptions } from "../checker.ts";
import type { CheckResult } from "../types.ts";
import { firstFew, jsonKey, maxReported, show } from "../elements.ts";
import { readerOf } from "../final-reads.ts";

export interface UniqueIdsResult extends CheckResult {
  /** ok generates, and how many distinct ids they returned. */
  generated: number;
  distinct: number;
  /** Ids returned more than once, and the ops beyond the first that returned them. */
  duplicatedIds: number;
  duplicateOps: number;
  /** The first duplicated ids, each with every op (completion index and node) that returned it. */
  duplicates: { id: unknown; ops: { op: number; node: string }[] }[];
  /** ok generates that returned no id (op indexes). */
  missing: number;
  missingOps: number[];
}

export function checkUniqueIds(history: Op[], options: CheckerOptions = {}): UniqueIdsResult {
  const report = maxReported(options);
  const byId = new Map<string, { id: unknown; ops: { op: number; node: string }[] }>();
  const missing: number[] = [];
  let generated = 0;
  for (const p of pairHistory(history)) {
    if (p.f !== "generate" || p.type !== "ok") continue;
    generated++;
    const id = p.completion!.value;
    if (id === null || id === undefined) {
      missing.push(p.completion!.index);
      continue;
    }
    const key = jsonKey(id);
    if (!byId.has(key)) byId.set(key, { id, ops: [] });
    byId.get(key)!.ops.push({ op: p.completion!.index, node: readerOf(p) });
  }
  const dups = [...byId.values()].filter((e) => e.ops.length > 1);
  const duplicateOps = dups.reduce((s, e) => s + e.ops.length - 1, 0);
  const valid = dups.length === 0 && missing.length === 0;
  return {
    valid,
    reason: valid
      ? `all ${generated} ids are distinct`
      : [
          dups.length > 0 &&
            `${dups.length} ids returned more than once (${duplicateOps} extra times)`,
          missing.length > 0 && `${missing.length} ok generates returned no id`,
        ]
          .filter(Boolean)
          .join("; "),
    generated,
    distinct: byId.size,
    duplicatedIds: dups.length,
    duplicateOps,
    duplicates: firstFew(dups, report).map((d) => ({ id: d.id, ops: firstFew(d.ops, report) })),
    missing: missing.length,
    missingOps: firstFew(missing, report),
  };
}

export const uniqueIdsChecker: Checker = {
  name: "unique-ids",
  prefixClosed: true,
  description: "every id returned by an ok generate is distinct",
  check: async (history, options) => checkUniqueIds(history, options),
  explain(result) {
    const r = result as UniqueIdsResult;
    if (r.duplicates === undefined) return [];
    return [
      `${r.generated} ids generated, ${r.distinct} distinct; ${r.duplicatedIds} duplicated`,
      ...r.duplicates.map(
        (d) =>
          `  ${show(d.id)} returned by ${d.ops.map((o) => `op ${o.op} on ${o.node}`).join(", ")}`,
      ),
      ...(r.missing > 0
        ? [`${r.missing} ok generates without an id: ops ${r.missingOps.join(", ")}`]
        : []),
    ];
  },
};
