// Maelstrom's kafka workload: a replicated log per key. Clients `send` unique integers to a
// key's log (the reply names the offset it got), `poll` a key from an offset, and store and
// read a consumer position (`commit_offsets`, `list_committed_offsets`). At the end every node
// is polled for every key from offset 0. Checked by checkers/kafka.
//
// Poll and commit offsets come from the offsets that sends were acknowledged with, as a
// consumer's position would: a poll starts at a recent one (or at 0 now and then), so polls
// stay short in a long run. They depend on what the system answered, so a replay with the
// same seed asks for the same messages but not always from the same offsets.
import { from, once } from "../generator/gen.ts";
import type { OpSpec } from "../generator/gen.ts";
import { codecOf } from "./messages.ts";
import type { Workload, WorkloadContext } from "./types.ts";

const DEFAULT_KEYS = 3;
/** Recent acknowledged offsets kept per key, to poll and commit from. */
const RECENT = 32;

export function kafkaWorkload(ctx: WorkloadContext, opts: { finalRounds?: number } = {}): Workload {
  const keys = Array.from({ length: ctx.keys ?? DEFAULT_KEYS }, (_, i) => `k${i}`);
  const recent = new Map<string, number[]>(keys.map((k) => [k, []]));
  const remember = (key: string | undefined, offset: unknown) => {
    const list = key !== undefined ? recent.get(key) : undefined;
    if (!list || typeof offset !== "number") return;
    list.push(offset);
    if (list.length > RECENT) list.shift();
  };
  let fresh = 0;
  return {
    name: "kafka",
    description:
      "send unique messages to logs by key, poll them back, commit and list offsets; no lost or moved message",
    generator: () =>
      from((rng): OpSpec => {
        const key = rng.pick(keys);
        const offsets = recent.get(key)!;
        const known = () => (offsets.length > 0 && rng.int(0, 9) > 0 ? rng.pick(offsets) : 0);
        const roll = rng.int(0, 9);
        if (roll < 5) return { f: "send", key, value: fresh++ };
        if (roll < 8) return { f: "poll", key, value: known() };
        if (roll < 9) return { f: "commit_offsets", key, value: known() };
        return { f: "list_committed_offsets", key, value: null };
      }),
    final: () => {
      const ops: OpSpec[] = [];
      for (let round = 0; round < (opts.finalRounds ?? 2); round++)
        for (const node of ctx.nodes)
          for (const key of keys) ops.push({ f: "poll", key, value: 0, node });
      return once(ops);
    },
    messages: codecOf("kafka", {
      send: {
        request: (op) => ({ type: "send", key: op.key, msg: op.value }),
        // A send_ok without an offset is recorded as null: the checker calls it malformed.
        ok: (op, reply) => {
          remember(op.key, reply.offset);
          return { type: "ok", value: reply.offset ?? null };
        },
      },
      poll: {
        request: (op) => ({ type: "poll", offsets: { [op.key!]: op.value } }),
        // The key's [offset, message] pairs; none when the reply leaves the key out.
        ok: (op, reply) => {
          const msgs = reply.msgs;
          if (msgs === null || typeof msgs !== "object") return { type: "ok", value: null };
          return { type: "ok", value: (msgs as Record<string, unknown>)[op.key!] ?? [] };
        },
      },
      commit_offsets: {
        request: (op) => ({ type: "commit_offsets", offsets: { [op.key!]: op.value } }),
      },
      list_committed_offsets: {
        request: (op) => ({ type: "list_committed_offsets", keys: [op.key] }),
        ok: (op, reply) => {
          const offsets = reply.offsets as Record<string, unknown> | undefined;
          return { type: "ok", value: offsets?.[op.key!] ?? null };
        },
      },
    }),
    checkers: [{ checker: "kafka" }, { checker: "progress" }],
  };
}
