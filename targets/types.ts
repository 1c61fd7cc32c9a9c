// The target contract: what a system under test tells the harness (see docs/targets.md).
import type { Cluster, ClusterSpec, NodeInfo } from "../core/runtime.ts";

/** What a client request came to: took effect, certainly did not, or unknown. */
export interface Completion {
  type: "ok" | "fail" | "info";
  value?: unknown;
  error?: unknown;
}

/** A client connection to one node, used by one worker at a time. */
export interface Client {
  /** Send one operation; never throws for protocol errors: those become fail/info. */
  invoke(op: { f: string; key?: string; value?: unknown }, timeoutMs: number): Promise<Completion>;
  close(): Promise<void>;
}

export interface TargetOptions {
  nodes: number;
  variant?: string;
}

export interface Target {
  name: string;
  description: string;
  defaultNodes: number;
  /** Workload names this target's client supports (register, agreement, ...). */
  workloads: string[];
  /** Deliberately broken variants: name -> the mistake it makes. */
  variants: Record<string, string>;
  /** Image, main command, environment and files for the cluster's nodes. */
  clusterSpec(opts: TargetOptions): Promise<Omit<ClusterSpec, "nodes" | "id">>;
  /** Resolve once every node answers (after start, and after a node restarts). */
  awaitReady(cluster: Cluster, timeoutMs: number): Promise<void>;
  /** Open a client to `node`. */
  client(cluster: Cluster, node: NodeInfo): Promise<Client>;
  /** The node that currently leads, when the target can tell; used by leader-directed faults. */
  leader?(cluster: Cluster): Promise<string | undefined>;
  /** Paths inside a node that hold its logs, collected into the store at teardown. */
  logPaths: string[];
}
