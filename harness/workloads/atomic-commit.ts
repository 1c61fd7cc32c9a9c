// The atomic-commit workload (docs/atomic-commit.md): transactions over a seeded set of
// participants, sent to the coordinator (the first node), and `states` queries that ask a node
// the state of every transaction it knows, during the run and, after healing, of every node.
import { UserError } from "../../core/errors.ts";
import { from, mix, once } from "../generator/gen.ts";
import type { OpSpec } from "../generator/gen.ts";
import { codecOf } from "./messages.ts";
import type { Workload, WorkloadContext } from "./types.ts";

export interface AtomicCommitOptions {
  /** Chance that one participant will be able to commit its part; below 1, so both outcomes
   *  occur, and high, so most transactions commit: the broken variants lose commits. */
  canCommit?: number;
  /** Share of the main phase's ops that are `states` queries. */
  statesShare?: number;
  /** Rounds of `states` to every node in the final phase. */
  finalRounds?: number;
}

/** The op value of a `txn`: its id, and per participant whether it will be able to commit. */
export interface TxnValue {
  id: string;
  votes: Record<string, boolean>;
}

export function atomicCommitWorkload(
  ctx: WorkloadContext,
  opts: AtomicCommitOptions = {},
): Workload {
  const [coordinator, ...participants] = ctx.nodes;
  if (!coordinator || participants.length === 0)
    throw new UserError(
      `The atomic-commit workload needs a coordinator and at least one participant: 2 nodes or more, not ${ctx.nodes.length}.`,
    );
  const canCommit = opts.canCommit ?? 0.9;
  const statesShare = opts.statesShare ?? 0.05;
  const states = (node: string): OpSpec => ({ f: "states", node });
  return {
    name: "atomic-commit",
    description: `transactions over 1-${participants.length} participants coordinated by ${coordinator}; atomic commit and blocking`,
    generator: () => {
      let fresh = 0;
      const txns = from((rng) => {
        // Each participant is in with even odds; a transaction has at least one.
        let chosen = participants.filter(() => rng.float() < 0.5);
        if (chosen.length === 0) chosen = [rng.pick(participants)];
        const votes: Record<string, boolean> = {};
        for (const p of chosen) votes[p] = rng.float() < canCommit;
        const value: TxnValue = { id: `t${++fresh}`, votes };
        return { f: "txn", node: coordinator, value };
      });
      const queries = from((rng) => states(rng.pick(ctx.nodes)));
      return mix([
        [1 - statesShare, txns],
        [statesShare, queries],
      ]);
    },
    final: () => {
      const ops: OpSpec[] = [];
      for (let round = 0; round < (opts.finalRounds ?? 2); round++)
        for (const node of ctx.nodes) ops.push(states(node));
      return once(ops);
    },
    messages: codecOf("atomic-commit", {
      txn: {
        request(op) {
          const value = op.value as TxnValue | undefined;
          if (!value || typeof value.id !== "string" || typeof value.votes !== "object")
            throw new UserError(
              `a txn operation needs value {id, votes}, got ${JSON.stringify(op.value)}`,
            );
          return { type: "txn", txn: value.id, votes: value.votes };
        },
        ok(op, reply) {
          if (reply.decision === "commit")
            return { type: "ok", value: { ...(op.value as TxnValue), decision: "commit" } };
          // The coordinator decided abort: the transaction certainly did not take effect.
          if (reply.decision === "abort") return { type: "fail", error: "abort" };
          return { type: "info", error: `unknown decision ${JSON.stringify(reply.decision)}` };
        },
      },
      states: {
        request: () => ({ type: "txn_states" }),
        ok: (_op, reply) => ({
          type: "ok",
          value: {
            role: reply.role,
            now: reply.now,
            txns: reply.txns ?? {},
            // The coordinator's reasons for its aborts, when it gives them (non-triviality).
            ...(reply.aborts !== undefined ? { aborts: reply.aborts } : {}),
          },
        }),
      },
    }),
    checkers: [{ checker: "atomic-commit", options: { coordinator } }, { checker: "progress" }],
  };
}
