// The workload contract: a generator of client operations, the messages that carry them,
// and the checkers that judge the history (docs/running.md, "Workloads").
import type { CheckerSpec } from "../../checkers/checker.ts";
import type { MessageCodec } from "../../targets/types.ts";
import type { Gen } from "../generator/gen.ts";

/** What a workload may know of the run when it is created. */
export interface WorkloadContext {
  /** Node names, n1..nN. */
  nodes: string[];
  /** How many keys, for a workload that has keys (lin-kv); absent: the workload's own. */
  keys?: number;
  /** The target tells what each replica executed (Target.executedLog): state machine
   *  workloads then ask every node for it at the end, for the replica-agreement checker. */
  executedLog?: boolean;
}

export interface Workload {
  name: string;
  description: string;
  /** Ops sent before the main phase (broadcast's topology), all completed before it starts.
   *  Usually each names its node (`node`). */
  setup?(): Gen;
  /** Client ops of the main phase (endless; the run's time limit ends it). */
  generator(): Gen;
  /** The ops of the final phase, after every fault is healed and the cluster settled: reads
   *  of every key, or of every node, ... */
  final(): Gen;
  /** How each op becomes a request body, and each reply a completion. */
  messages: MessageCodec;
  /** The checkers that judge a history of this workload; stored in test.json. */
  checkers: CheckerSpec[];
}

export interface WorkloadEntry {
  description: string;
  /** Client operation kinds, for `faultline targets` and docs. */
  operations: string[];
  /** How many keys it uses unless told otherwise (ctx.keys), for a workload that has keys. */
  keys?: number;
  create(ctx: WorkloadContext): Workload;
}
