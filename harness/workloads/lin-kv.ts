// Maelstrom's lin-kv workload (once called `register`): reads, writes and compare-and-sets on
// a few keys, each key a linearizable register, checked per key through the kv model.
import { UserError } from "../../core/errors.ts";
import { ERRORS } from "../../targets/host/errors.ts";
import { once, type Gen, type OpSpec } from "../generator/gen.ts";
import { EXECUTED_LOG_F } from "../../checkers/replica-agreement/index.ts";
import type { Rng } from "../../core/rng.ts";
import { codecOf, errorCode, errorCompletion } from "./messages.ts";
import type { Workload } from "./types.ts";

export interface LinKvOptions {
  /** How many keys; few keys means many ops per key, which is where anomalies show. */
  keys?: number;
  /** How long a set of keys is used before the next set replaces it (ms). */
  keyLifetimeMs?: number;
  /** Nodes that tell what they executed (a replicated state machine such as pbft): after the
   *  final reads each is asked for its executed log (two rounds: a node restarting late gets
   *  a second chance), and the replica-agreement checker compares the logs. */
  executedLogOf?: string[];
}

/** Keys are replaced by fresh ones every two minutes: each key's history stays short, so a
 *  long run's live check can judge a retired key once and let its ops go (live-check.ts).
 *  Runs shorter than this use k0..k(n-1) throughout. */
const KEY_LIFETIME_MS = 120_000;

/** The mix of functions (see the generator's comment for why). */
const FUNCTION_WEIGHTS = [
  [6, "read"],
  [2, "write"],
  [2, "cas"],
] as const;

export function linKvWorkload(opts: LinKvOptions = {}): Workload {
  const keyCount = opts.keys ?? 3;
  const lifetimeMs = opts.keyLifetimeMs ?? KEY_LIFETIME_MS;
  /** The keys of generation g (a period of the run): k(g*n) .. k(g*n+n-1). */
  const generationAt = (elapsedMs: number) => Math.floor(elapsedMs / lifetimeMs);
  const keysOf = (generation: number) =>
    Array.from({ length: keyCount }, (_, i) => `k${generation * keyCount + i}`);
  const keysAt = (elapsedMs: number) => keysOf(generationAt(elapsedMs));
  return {
    name: "lin-kv",
    description: `read/write/cas of unique values on ${keyCount} keys (replaced by fresh ones every ${lifetimeMs / 1000} s); linearizable per key (kv model)`,
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
      let generation = 0;
      let keys = keysOf(generation);
      return {
        next: ({ rng, elapsedMs }) => {
          // Compared as numbers: building the key names per op was a tenth of the harness's
          // own time per op.
          if (generationAt(elapsedMs) !== generation) {
            generation = generationAt(elapsedMs);
            keys = keysOf(generation);
            last.clear(); // the retired keys' last values are never needed again
          }
          return nextOp(rng, keys);
        },
      };
      function nextOp(rng: Rng, keys: string[]): OpSpec {
        const key = rng.pick(keys);
        const f = rng.weighted(FUNCTION_WEIGHTS);
        if (f === "read") return { f, key };
        const value = ++fresh;
        const expected = last.get(key);
        last.set(key, value);
        if (f === "write" || expected === undefined) return { f: "write", key, value };
        return { f, key, value: [expected, value] };
      }
    },
    // The final reads read the keys in use when the final phase starts; then, for a target
    // that tells, every node's executed log.
    final: () => {
      let reads: Gen | undefined;
      const logs = [0, 1].flatMap(() =>
        (opts.executedLogOf ?? []).map((node): OpSpec => ({ f: EXECUTED_LOG_F, node })),
      );
      return {
        next: (ctx) =>
          (reads ??= once([
            ...keysAt(ctx.elapsedMs).map((key): OpSpec => ({ f: "read", key })),
            ...logs,
          ])).next(ctx),
      };
    },
    messages: codecOf("lin-kv", {
      [EXECUTED_LOG_F]: {
        request: () => ({ type: "executed_log" }),
        ok: (_op, reply) => ({ type: "ok", value: reply.log }),
      },
      read: {
        request: (op) => ({ type: "read", key: op.key }),
        ok: (_op, reply) => ({ type: "ok", value: reply.value }),
        // A read of a key never written (or lost!) answers "does not exist": that is a read
        // of nothing, and must be checked, not dropped as a failed op.
        error: (_op, reply) =>
          errorCode(reply) === ERRORS.keyDoesNotExist.code
            ? { type: "ok", value: null }
            : errorCompletion(reply),
      },
      write: { request: (op) => ({ type: "write", key: op.key, value: op.value }) },
      cas: {
        request(op) {
          if (!Array.isArray(op.value) || op.value.length !== 2)
            throw new UserError(
              `a cas operation needs value [from, to], got ${JSON.stringify(op.value)}`,
            );
          return { type: "cas", key: op.key, from: op.value[0], to: op.value[1] };
        },
      },
    }),
    checkers: opts.executedLogOf
      ? [
          { checker: "linearizable", options: { model: "kv", ignore: [EXECUTED_LOG_F] } },
          { checker: "progress" },
          { checker: "replica-agreement" },
        ]
      : [{ checker: "linearizable", options: { model: "kv" } }, { checker: "progress" }],
  };
}
