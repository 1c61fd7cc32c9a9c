// The target contract: what a system under test tells the harness (see docs/targets.md).
import type { Cluster, ClusterSpec, NodeInfo } from "../core/runtime.ts";
import type { MessageRule } from "./host/interceptors/rule.ts";

export type { MessageRule };

/** What a client request came to: took effect, certainly did not, or unknown. */
export interface Completion {
  type: "ok" | "fail" | "info";
  value?: unknown;
  error?: unknown;
}

/** What a client worker asks for: the function, and for keyed workloads the key and value.
 *  `node` sends the op to that node instead of the worker's own (final reads of every node). */
export interface ClientOp {
  f: string;
  key?: string;
  value?: unknown;
  node?: string;
}

/** A node-protocol message body (Maelstrom's). */
export interface Body {
  type: string;
  msg_id?: number;
  in_reply_to?: number;
  [field: string]: unknown;
}

/** How a workload's operations travel as node-protocol messages: the workload owns them
 *  (harness/workloads/), the host client only carries the bodies. */
export interface MessageCodec {
  /** The request body for an op; throws a UserError for an op this workload cannot send. */
  request(op: ClientOp): Body;
  /** What a reply body (an `*_ok` body or an `error` body) means for the op. */
  complete(op: ClientOp, reply: Body): Completion;
}

/** A client connection to one node, used by one worker at a time. */
export interface Client {
  /** Send one operation; never throws for protocol errors: those become fail/info. */
  invoke(op: ClientOp, timeoutMs: number): Promise<Completion>;
  close(): Promise<void>;
}

/** A node's count of sent messages since its counter started. `since` names that start (a node
 *  restarted by a kill counts from 0 again under a new `since`). */
export interface SentCount {
  sent: number;
  since?: string | number;
}

export interface TargetOptions {
  nodes: number;
  variant?: string;
}

/** How the target stands under Byzantine faults (the `byzantine` nemesis). */
export interface ByzantineSpec {
  /** How many traitors it tolerates with `nodes` nodes: the default of --byzantine. */
  tolerance(nodes: number): number;
  /** Body fields that carry values: mutations change only these (default: every leaf of the
   *  body except type, msg_id and in_reply_to). */
  valueFields?: string[];
  /** The receiver knows who really sent a message (the source's assumption for oral
   *  messages, or signed messages): the receiving host drops a message whose `src` is not
   *  the node it really came from (a forge), and counts it in host_stats. */
  authenticated?: boolean;
}

export interface Target {
  name: string;
  description: string;
  defaultNodes: number;
  /** Workload names this target's client supports (register, agreement, ...); the first is
   *  what `faultline run` drives when no --workload is given. */
  workloads: string[];
  /** The faults a run without --nemesis injects: those that reach this protocol's failure
   *  modes (default: partition,kill). */
  defaultNemesis?: string[];
  /** Deliberately broken variants: name -> the mistake it makes. */
  variants: Record<string, string>;
  /** Image, main command, environment and files for the cluster's nodes. */
  clusterSpec(opts: TargetOptions): Promise<Omit<ClusterSpec, "nodes" | "id">>;
  /** Resolve once every node answers (after start, and after a node restarts). */
  awaitReady(cluster: Cluster, timeoutMs: number): Promise<void>;
  /** Open a client to `node`. Node-protocol targets carry the workload's bodies (`codec`);
   *  a system target speaks its own API for the workload's operations and may ignore it.
   *  `opts` are the run's (a variant may live in the client: etcd's serializable reads). */
  client(
    cluster: Cluster,
    node: NodeInfo,
    codec: MessageCodec,
    opts?: TargetOptions,
  ): Promise<Client>;
  /** The node that currently leads, when the target can tell; used by leader-directed faults. */
  leader?(cluster: Cluster): Promise<string | undefined>;
  /** True when `leader` names a fixed role (a coordinator) rather than an elected leader:
   *  faults skip what only an election can use (the staggered kill's handover). */
  fixedLeader?: boolean;
  /** How many node-to-node messages `node` has sent, when the target can count them (targets
   *  under the node host can: `hostSentMessages` in targets/host/kit.ts); undefined when the
   *  node does not answer. Gives `faultline compare` its messages per operation. */
  sentMessages?(cluster: Cluster, node: string): Promise<SentCount | undefined>;
  /** What the target runs in the control process while a run lasts (the node protocol's
   *  built-in services, lin-kv/seq-kv/lww-kv): started once the cluster is up, stopped at
   *  teardown. */
  background?(cluster: Cluster): Promise<{ stop(): Promise<void> }>;
  /** Paths inside a node that hold its logs, collected into the store at teardown. */
  logPaths: string[];
  /** Set when the clock fault (libfaketime, preloaded into the node's processes) cannot reach
   *  this target: why not. `faultline targets` shows it and a run with `--nemesis clock`
   *  against the target is refused (a skew that changes nothing would pass for a finding). */
  noClockFaults?: string;
  /** Set when the target is meant to survive Byzantine nodes. */
  byzantine?: ByzantineSpec;
  /** Replace the interceptor rules of `node`'s outgoing node-to-node messages (an empty list
   *  heals). Targets under the node host set it to `setHostRules` (targets/host/kit.ts); the
   *  message faults (delay, duplicate, reorder, byzantine) need it and are refused without. */
  messageRules?(cluster: Cluster, node: string, rules: MessageRule[]): Promise<void>;
  /** True when every node answers `{"type":"executed_log"}` with `executed_log_ok` and `log`:
   *  what it executed, in order (entry i for sequence number i + 1). A `lin-kv` run then asks
   *  every node for it at the end, and the `replica-agreement` checker compares them. */
  executedLog?: boolean;
}
