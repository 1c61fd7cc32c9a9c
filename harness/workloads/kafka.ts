// Maelstrom's kafka workload: a replicated log per key. Clients `send` unique integers to a
// key's log (the reply names the offset it got), `poll` a key from an offset, and store and
// read a consumer position (`commit_offsets`, `list_committed_offsets`). Checked by
// checkers/kafka.
//
// Poll and commit offsets come from the offsets that sends were acknowledged with, as a
// consumer's position would: a poll starts at a recent one (or at 0 now and then), so polls
// stay short in a long run. They depend on what the system answered, so a replay with the
// same seed asks for the same messages but not always from the same offsets.
//
// The final phase polls every key on every node from 0, and from the acknowledged offsets no
// poll has reached yet (a program may return only part of a log per poll, as Maelstrom
// allows): each acknowledged send is then confirmed or found lost, not left unknown.
import { from } from "../generator/gen.ts";
import type { Gen, OpSpec } from "../generator/gen.ts";
import { firstAtLeast } from "../../core/sorted.ts";
import { codecOf } from "./messages.ts";
import type { Workload, WorkloadContext } from "./types.ts";

const DEFAULT_KEYS = 3;
/** Recent acknowledged offsets kept per key, to poll and commit from. */
const RECENT = 32;
/** At most this many final polls per key and node start from unreached offsets. */
const FINAL_STARTS = 8;
/** Final rounds made in any case, and at most (while they still reach new offsets). */
const BASE_ROUNDS = 2;
const MAX_ROUNDS = 6;

export function kafkaWorkload(ctx: WorkloadContext): Workload {
  const keys = Array.from({ length: ctx.keys ?? DEFAULT_KEYS }, (_, i) => `k${i}`);
  const recent = new Map<string, number[]>(keys.map((k) => [k, []]));
  /** Acknowledged offsets that no poll has returned or gone past yet, sorted. Kept up to date
   *  on every reply, so by binary search: offsets mostly arrive in order, and a poll removes
   *  one run of them. */
  const unreached = new Map<string, number[]>(keys.map((k) => [k, []]));
  const acknowledged = (key: string | undefined, offset: unknown) => {
    const list = key !== undefined ? recent.get(key) : undefined;
    if (!list || !Number.isSafeInteger(offset)) return;
    list.push(offset as number);
    if (list.length > RECENT) list.shift();
    const open = unreached.get(key!)!;
    open.splice(firstAtLeast(open, offset as number), 0, offset as number);
  };
  const polled = (key: string | undefined, start: unknown, entries: unknown) => {
    const open = key !== undefined ? unreached.get(key) : undefined;
    if (!open || typeof start !== "number" || !Array.isArray(entries) || entries.length === 0)
      return;
    const last = (entries[entries.length - 1] as unknown[])[0];
    if (typeof last !== "number") return;
    const from = firstAtLeast(open, start);
    open.splice(from, firstAtLeast(open, last + 1) - from);
  };
  /** Round `round` of final polls, made when it starts: every key on every node from 0, and
   *  from up to FINAL_STARTS unreached offsets per key and node (spread over them, and over
   *  the nodes). Past BASE_ROUNDS, rounds go on only while they still reach new offsets. */
  let openBefore = Infinity;
  const finalRound = (round: number): OpSpec[] => {
    const openCount = [...unreached.values()].reduce((n, o) => n + o.length, 0);
    const more =
      round < BASE_ROUNDS || (round < MAX_ROUNDS && openCount > 0 && openCount < openBefore);
    openBefore = openCount;
    if (!more) return [];
    const ops: OpSpec[] = [];
    for (const key of keys) {
      for (const node of ctx.nodes) ops.push({ f: "poll", key, value: 0, node });
      const offsets = unreached.get(key)!;
      const slots = FINAL_STARTS * ctx.nodes.length;
      const step = Math.max(1, Math.ceil(offsets.length / slots));
      for (let i = 0; i * step < offsets.length; i++)
        ops.push({
          f: "poll",
          key,
          value: offsets[i * step]!,
          node: ctx.nodes[i % ctx.nodes.length]!,
        });
    }
    return ops;
  };
  let fresh = 0;
  return {
    name: "kafka",
    description:
      "send unique messages to logs by key, poll them back, commit and list offsets; no lost or moved message",
    generator: () =>
      from((rng): OpSpec => {
        // The same four draws for every op, whatever the replies so far: a seed then fixes
        // the sequence of functions, keys and messages.
        const key = rng.pick(keys);
        const roll = rng.int(0, 9);
        const fromZero = rng.int(0, 9) === 0;
        const pick = rng.int(0, RECENT - 1);
        const offsets = recent.get(key)!;
        const known = () => (offsets.length > 0 && !fromZero ? offsets[pick % offsets.length]! : 0);
        if (roll < 5) return { f: "send", key, value: fresh++ };
        if (roll < 8) return { f: "poll", key, value: known() };
        if (roll < 9) return { f: "commit_offsets", key, value: known() };
        return { f: "list_committed_offsets", key, value: null };
      }),
    final: () => finalRounds(finalRound),
    messages: codecOf("kafka", {
      send: {
        request: (op) => ({ type: "send", key: op.key, msg: op.value }),
        // A send_ok without an offset is recorded as null: the checker calls it malformed.
        ok: (op, reply) => {
          acknowledged(op.key, reply.offset);
          return { type: "ok", value: reply.offset ?? null };
        },
      },
      poll: {
        request: (op) => ({ type: "poll", offsets: { [op.key!]: op.value } }),
        // The key's [offset, message] pairs; none when the reply leaves the key out.
        ok: (op, reply) => {
          const msgs = reply.msgs;
          if (msgs === null || typeof msgs !== "object") return { type: "ok", value: null };
          const entries = (msgs as Record<string, unknown>)[op.key!] ?? [];
          polled(op.key, op.value, entries);
          return { type: "ok", value: entries };
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

/** Rounds of ops, each made by `make(round)` when the previous round has been handed out (so
 *  a round sees what the replies to earlier ones changed), until `make` gives none. */
function finalRounds(make: (round: number) => OpSpec[]): Gen {
  let round = 0;
  let ops: OpSpec[] = [];
  let done = false;
  return {
    next() {
      if (ops.length === 0 && !done) {
        ops = make(round++);
        done = ops.length === 0;
      }
      return ops.shift();
    },
  };
}
