// The fault contract: one fault kind per file of nemesis/faults/. A fault plans its victims
// from the seed (so the same seed gives the same schedule), may re-aim at run time (at the
// node that leads now), applies and heals itself through the runtime, and says how it is
// named in the history and on the progress line. The nemesis runs whatever the registry
// (nemesis/faults/index.ts) holds. docs/targets.md, "Adding a fault", walks through one.
import type { Cluster } from "../core/runtime.ts";
import type { Rng } from "../core/rng.ts";
import type { MessageRule } from "../targets/types.ts";

/** A planned fault: its kind, and whatever its fault file needs to apply and heal it. */
export interface Planned {
  kind: string;
}

export interface PlanContext {
  nodes: readonly string[];
  /** The schedule's random source: every choice of victims comes from it. */
  rng: Rng;
  /** How many faults of this kind were planned before this one (fixed rotations use it). */
  turn: number;
  /** The nemesis interval, ms: a fault's staged heal must fit in it. */
  intervalMs: number;
  /** The run's traitors for `byzantine` faults: --byzantine (or the target's tolerance) nodes
   *  picked once per run by the seed. */
  traitorNodes?: readonly string[];
}

/** What a fault may use while it is applied or healed. */
export interface FaultContext {
  cluster: Cluster;
  /** The node that leads now, when the target can tell. */
  leader(): Promise<string | undefined>;
  /** Whether the target can tell who leads at all (if not, leader() is always undefined). */
  tellsLeader: boolean;
  /** The target's leader is a fixed role (a coordinator), not elected. */
  fixedLeader: boolean;
  /** Healing everything at the end of a run or on interruption: no time for staged heals. */
  healingAll: boolean;
  /** Replace the interceptor rules of a node's outgoing messages (the target's messageRules);
   *  undefined when the target's nodes do not run under the node host. */
  messageRules?(node: string, rules: MessageRule[]): Promise<void>;
}

export interface Fault<P extends Planned = Planned> {
  kind: P["kind"];
  /** One line for `--help`, `faultline targets` and docs. */
  description: string;
  /** The `f` of the nemesis ops recorded when it starts and when it stops. */
  startF: string;
  stopF: string;
  plan(ctx: PlanContext): P;
  /** Re-aim a planned fault when it starts (e.g. at the leader of the moment). */
  resolve?(fault: P, ctx: FaultContext): Promise<P>;
  /** The nodes it affects (the `value` of its nemesis ops). */
  nodes(fault: P): string[];
  apply(fault: P, ctx: FaultContext): Promise<void>;
  /** Undo it; returns what the record of the heal should show, if anything. */
  heal(fault: P, ctx: FaultContext): Promise<unknown>;
  /** A short label: "partition ring", "kill n1,n3". */
  describe(fault: P): string;
  /** What the start record's `detail` shows. */
  detail(fault: P): unknown;
  /** How long its heal takes after its stop event (a staged heal); the schedule's next quiet
   *  interval counts from then. */
  settleMs?(fault: P): number;
}
