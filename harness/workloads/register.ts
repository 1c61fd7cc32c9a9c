// The register workload: reads, writes and compare-and-sets on a few keys, each key a
// linearizable register, checked per key through the kv model.
import type { Completion } from "../../targets/types.ts";
import { from, type OpSpec } from "../generator/gen.ts";
import { checkLinearizable } from "../../checkers/linearizable/index.ts";
import type { Workload } from "./types.ts";

/** Maelstrom's "key does not exist" error code. */
const KEY_DOES_NOT_EXIST = 20;

export interface RegisterOptions {
  /** How many keys; few keys means many ops per key, which is where anomalies show. */
  keys?: number;
}

export function registerWorkload(opts: RegisterOptions = {}): Workload {
  const keyCount = opts.keys ?? 3;
  const keys = Array.from({ length: keyCount }, (_, i) => `k${i}`);
  return {
    name: "register",
    description: `read/write/cas of unique values on ${keyCount} keys; linearizable per key (kv model)`,
    // Reads are 60% of the mix: stale reads are the anomaly most broken variants produce, and
    // after a leader overwrites acknowledged entries only a read of the key, before the next
    // write to it, shows the loss (measured: with half reads, all three keys were sometimes
    // written first and a stale-log election went unseen). Every
    // write writes a value never written before, so a read names the one write it saw and a
    // lost or reordered write cannot hide behind a coincidence. A cas expects the value last
    // written to its key (often still current, so many succeed) and writes a fresh one.
    generator: () => {
      let fresh = 0;
      const last = new Map<string, number>();
      return from((rng) => {
        const key = rng.pick(keys);
        const f = rng.weighted([
          [6, "read"],
          [2, "write"],
          [2, "cas"],
        ] as const);
        if (f === "read") return { f, key };
        const value = ++fresh;
        const expected = last.get(key);
        last.set(key, value);
        if (f === "write" || expected === undefined) return { f: "write", key, value };
        return { f, key, value: [expected, value] };
      });
    },
    finalReads: () => keys.map((key) => ({ f: "read", key })),
    checkerSpec: { model: "kv" },
    interpret(op: OpSpec, completion: Completion): Completion {
      // A read of a key never written (or lost!) answers "does not exist": that is a read of
      // nothing, and must be checked, not dropped as a failed op.
      if (
        op.f === "read" &&
        completion.type === "fail" &&
        errorCode(completion.error) === KEY_DOES_NOT_EXIST
      )
        return { type: "ok", value: null };
      return completion;
    },
    async check(history, budget) {
      const result = await checkLinearizable(history, { model: "kv", ...budget });
      return { linearizable: result };
    },
  };
}

function errorCode(error: unknown): number | undefined {
  if (typeof error === "number") return error;
  if (error && typeof error === "object" && "code" in error)
    return Number((error as { code: unknown }).code);
  return undefined;
}
