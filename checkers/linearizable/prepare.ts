// From a history to the search's input: pair invocations with completions, drop what cannot
// matter (nemesis ops, fail ops, info ops that change nothing), split by partition key.
import type { Op } from "../../histories/op.ts";
import { pairHistory, type PairedOp } from "../../histories/pair.ts";
import type { Model } from "./models/model.ts";
import type { SearchOp } from "./search.ts";

export interface Partition {
  /** The partition key ("" when the model does not split). */
  key: string;
  ops: SearchOp[];
  /** The paired history op behind each search op (same positions). */
  source: PairedOp[];
}

export interface Prepared {
  partitions: Partition[];
  /** Client ops considered, and how many were left out as fail or read-only info. */
  clientOps: number;
  dropped: number;
}

export function preparePartitions(history: Op[], model: Model<unknown>): Prepared {
  const paired = pairHistory(history);
  const byKey = new Map<string, Partition>();
  let dropped = 0;
  for (const p of paired) {
    if (p.type === "fail") {
      dropped++;
      continue;
    }
    const op: SearchOp = {
      f: p.f,
      key: p.key,
      value: p.value,
      unknownResult: p.type === "info",
      ok: p.type === "ok",
      callPos: p.invokePos,
      retPos: p.completePos,
    };
    if (p.type === "info" && model.readOnly(op)) {
      dropped++;
      continue;
    }
    const key = model.partitionKey ? model.partitionKey(op) : "";
    let part = byKey.get(key);
    if (!part) {
      part = { key, ops: [], source: [] };
      byKey.set(key, part);
    }
    part.ops.push(op);
    part.source.push(p);
  }
  return { partitions: [...byKey.values()], clientOps: paired.length, dropped };
}
