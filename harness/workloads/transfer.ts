// The transfer workload (docs/atomic-commit.md, "postgres-2pc and the transfer workload"): bank
// transfers between accounts held by the participants (n2..nN), each sent to the coordinator
// (the first node), which runs it as one distributed transaction; `balances` reads of one
// participant's accounts, a small share during the run and, after healing, of every
// participant (final); and one last question to the coordinator about its recoveries.
import { UserError } from "../../core/errors.ts";
import { from, mix, once } from "../generator/gen.ts";
import type { OpSpec } from "../generator/gen.ts";
import { codecOf } from "./messages.ts";
import type { Workload, WorkloadContext } from "./types.ts";

export interface TransferOptions {
  /** Accounts per participant, numbered 0..accounts-1 (the target creates them). */
  accounts?: number;
  /** Every account's opening balance. */
  initial?: number;
  /** Amounts are drawn from 1..maxAmount: large enough that some debits would overdraw and
   *  abort, so both outcomes occur. */
  maxAmount?: number;
  /** Share of transfers between two accounts of the same participant. */
  sameNodeShare?: number;
  /** Share of the main phase's ops that are `balances` reads. */
  balancesShare?: number;
  /** Rounds of `balances` of every participant in the final phase. */
  finalRounds?: number;
}

export interface Account {
  node: string;
  account: number;
}

/** The op value of a `transfer`. */
export interface TransferValue {
  id: string;
  from: Account;
  to: Account;
  amount: number;
}

export const TRANSFER_DEFAULTS = {
  accounts: 5,
  initial: 100,
  maxAmount: 40,
  sameNodeShare: 0.1,
  balancesShare: 0.05,
  finalRounds: 2,
};

export function transferWorkload(ctx: WorkloadContext, opts: TransferOptions = {}): Workload {
  const o = { ...TRANSFER_DEFAULTS, ...opts };
  const [coordinator, ...participants] = ctx.nodes;
  if (!coordinator || participants.length === 0)
    throw new UserError(
      `The transfer workload needs a coordinator and at least one participant: 2 nodes or more, not ${ctx.nodes.length}.`,
    );
  if (participants.length === 1 && o.accounts < 2)
    throw new UserError("The transfer workload needs at least two accounts.");
  const balances = (node: string): OpSpec => ({ f: "balances", node });
  return {
    name: "transfer",
    description: `transfers between ${o.accounts} accounts on each of ${participants.join(", ")} (opening balance ${o.initial}), coordinated by ${coordinator}; balances of each participant`,
    generator: () => {
      let fresh = 0;
      const transfers = from((rng) => {
        const fromNode = rng.pick(participants);
        const others = participants.filter((p) => p !== fromNode);
        const same = others.length === 0 || rng.float() < o.sameNodeShare;
        const toNode = same ? fromNode : rng.pick(others);
        const a = rng.int(0, o.accounts - 1);
        // On the same node, a different account: a transfer to itself moves nothing.
        let b = rng.int(0, o.accounts - 1);
        if (same && b === a) b = (a + 1 + rng.int(0, o.accounts - 2)) % o.accounts;
        const value: TransferValue = {
          id: `t${++fresh}`,
          from: { node: fromNode, account: a },
          to: { node: toNode, account: b },
          amount: rng.int(1, o.maxAmount),
        };
        return { f: "transfer", node: coordinator, value };
      });
      const reads = from((rng) => balances(rng.pick(participants)));
      return mix([
        [1 - o.balancesShare, transfers],
        [o.balancesShare, reads],
      ]);
    },
    final: () => {
      const ops: OpSpec[] = [];
      for (let round = 0; round < o.finalRounds; round++)
        for (const node of participants) ops.push(balances(node));
      // What the coordinator's recoveries found in doubt and resolved (measured, not judged).
      ops.push({ f: "recovery", node: coordinator });
      return once(ops);
    },
    messages: codecOf("transfer", {
      transfer: {
        request(op) {
          const v = op.value as TransferValue | undefined;
          if (!v || typeof v.id !== "string" || !v.from || !v.to || typeof v.amount !== "number")
            throw new UserError(
              `a transfer operation needs value {id, from, to, amount}, got ${JSON.stringify(op.value)}`,
            );
          return { type: "transfer", id: v.id, from: v.from, to: v.to, amount: v.amount };
        },
        // Error 14 (abort: a participant voted abort, or the coordinator gave up before
        // deciding) is definite: the default table makes it a fail.
      },
      balances: {
        request: () => ({ type: "balances" }),
        // A reply without `balances` is recorded as null: the checker reports it.
        ok: (_op, reply) => ({
          type: "ok",
          value: { balances: reply.balances ?? null, in_doubt: reply.in_doubt ?? [] },
        }),
      },
      recovery: {
        request: () => ({ type: "recovery_stats" }),
        ok: (_op, reply) => {
          const { type: _t, in_reply_to: _r, msg_id: _m, ...stats } = reply;
          return { type: "ok", value: stats };
        },
      },
    }),
    checkers: [
      {
        checker: "bank",
        options: { nodes: participants, accounts: o.accounts, initial: o.initial, coordinator },
      },
      // The recovery question is a measurement; a run is not unknown for lacking it.
      { checker: "progress", options: { ignore: ["recovery"] } },
    ],
  };
}
