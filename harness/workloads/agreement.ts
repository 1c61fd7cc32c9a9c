// The agreement workload (docs/byzantine-agreement.md): many instances of Byzantine agreement
// per run. For each instance a client gives a value, T or F (seeded), to the instance's
// primary (the commander); the primary rotates over the nodes, so that one run tries every
// node as primary under every traitor placement the nemesis makes. Once the bound has passed
// every node is asked what it stored for the instance; spare calls ask again about recent
// instances. The `agreement` checker judges BA1, BA2, termination and stable from the answers.
//
// Bodies: {"type":"propose","instance":"a17","value":"T"} -> {"type":"propose_ok"};
// {"type":"read_decision","instance":"a17"} -> {"type":"read_decision_ok","value":"T"}, or
// error 20 (key-does-not-exist) when the node has decided nothing for it (recorded as an ok
// read of null: the node answered, and stores nothing).
import { UserError } from "../../core/errors.ts";
import { ERRORS } from "../../targets/host/errors.ts";
import { type Gen, type OpSpec, once } from "../generator/gen.ts";
import { codecOf, errorCode, errorCompletion } from "./messages.ts";
import type { Workload, WorkloadContext } from "./types.ts";

export interface AgreementOptions {
  /** How long after an instance's propose its reads are sent (ms): the time every node has
   *  to decide. */
  decideWithinMs?: number;
}

/** Ample for oral messages with k <= 2 (rounds of 500 ms: decided 1-1.5 s after the
 *  first message) on a loaded machine. */
export const DECIDE_WITHIN_MS = 3000;

export type AgreementValue = "T" | "F";

/** How many of the latest instances a re-read picks from. */
const RECENT = 50;

/** How often the generator is called (calls per second over the last second): the pace the
 *  run's clients go at (the run's --rate, or less when the nodes are slow). */
class CallRate {
  private calls: number[] = [];
  private head = 0;
  private first?: number;

  record(nowMs: number): number {
    this.first ??= nowMs;
    this.calls.push(nowMs);
    while (this.calls[this.head]! < nowMs - 1000) this.head++;
    if (this.head > 1024) {
      this.calls = this.calls.slice(this.head);
      this.head = 0;
    }
    const spanMs = Math.min(1000, Math.max(nowMs - this.first, 10));
    return ((this.calls.length - this.head) * 1000) / spanMs;
  }
}

/** The op value of a propose: the instance and the value given to its primary. */
export interface ProposeValue {
  instance: string;
  value: AgreementValue;
}

function instanceOf(op: OpSpec): string {
  const id = (op.value as { instance?: unknown } | undefined)?.instance;
  if (typeof id !== "string")
    throw new UserError(
      `an agreement operation needs value {instance, ...}, got ${JSON.stringify(op.value)}`,
    );
  return id;
}

export function agreementWorkload(ctx: WorkloadContext, opts: AgreementOptions = {}): Workload {
  if (ctx.nodes.length < 2)
    throw new UserError(
      `The agreement workload needs a primary and at least one backup: 2 nodes or more, not ${ctx.nodes.length}.`,
    );
  const boundMs = opts.decideWithinMs ?? DECIDE_WITHIN_MS;
  /** Reads waiting for their instance's bound to pass, in order of due time. */
  const due: { at: number; op: OpSpec }[] = [];
  const readOf = (node: string, instance: string): OpSpec => ({
    f: "read_decision",
    node,
    value: { instance },
  });
  return {
    name: "agreement",
    description: `instances of Byzantine agreement: a T/F value to a rotating primary, every node read ${boundMs} ms later; BA1, BA2, termination`,
    generator: (): Gen => {
      let fresh = 0;
      let nextProposeAt = 0;
      const pace = new CallRate();
      /** Instances every node has been asked about: what a re-read may pick. */
      const read: string[] = [];
      return {
        next({ rng, elapsedMs }) {
          const rate = pace.record(elapsedMs);
          // Due reads first: an instance's reads come as soon as its bound has passed, so
          // its span (and the faults that make its nodes faulty) stays short.
          if (due.length > 0 && due[0]!.at <= elapsedMs) {
            const { op } = due.shift()!;
            const instance = (op.value as { instance: string }).instance;
            if (op.node === ctx.nodes.at(-1)) read.push(instance);
            if (read.length > RECENT) read.shift();
            return op;
          }
          // Proposes at the pace the clients can read them back: one instance costs n+1 ops,
          // and a fifth of the calls is left spare. Faster, the reads would fall behind the
          // bound for good (as they did when every call without a due read proposed).
          if (elapsedMs >= nextProposeAt) {
            nextProposeAt = elapsedMs + (1000 * (ctx.nodes.length + 1) * 1.25) / rate;
            const instance = `a${++fresh}`;
            const primary = ctx.nodes[(fresh - 1) % ctx.nodes.length]!;
            const value: ProposeValue = { instance, value: rng.float() < 0.5 ? "T" : "F" };
            for (const node of ctx.nodes)
              due.push({ at: elapsedMs + boundMs, op: readOf(node, instance) });
            return { f: "propose", node: primary, value };
          }
          // Spare calls ask a node again about a recent instance: a stored value must not
          // change [B7] (the checker's "stable"). Before any instance is due, they ask about
          // the newest one early (the checker counts an early answer only if it is a value).
          const instance = read.length > 0 ? rng.pick(read) : `a${fresh}`;
          return readOf(rng.pick(ctx.nodes), instance);
        },
      };
    },
    // The instances proposed last are read in the final phase (after healing and settling,
    // which takes longer than the bound).
    final: () => {
      let reads: Gen | undefined;
      return { next: (c) => (reads ??= once(due.splice(0).map((d) => d.op))).next(c) };
    },
    messages: codecOf("agreement", {
      propose: {
        request(op) {
          const v = op.value as Partial<ProposeValue> | undefined;
          return { type: "propose", instance: instanceOf(op), value: v?.value };
        },
      },
      read_decision: {
        request: (op) => ({ type: "read_decision", instance: instanceOf(op) }),
        ok: (op, reply) => ({
          type: "ok",
          value: { instance: instanceOf(op), value: reply.value ?? null },
        }),
        // "Not decided" is an answer: the node stores nothing for the instance.
        error: (op, reply) =>
          errorCode(reply) === ERRORS.keyDoesNotExist.code
            ? { type: "ok", value: { instance: instanceOf(op), value: null } }
            : errorCompletion(reply),
      },
    }),
    checkers: [
      { checker: "agreement", options: { nodes: ctx.nodes, decideWithinMs: boundMs } },
      { checker: "progress" },
    ],
  };
}
