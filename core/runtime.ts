// The runtime's interface: what the nemesis, targets and orchestration may ask of a cluster.
// It knows containers, processes and packets, never histories or checkers.
// The Docker implementation lives beside this file; nothing outside harness/runtime talks to
// Docker directly.

/** A node of a cluster: a stable name (n1..nN) and its address on the cluster network. */
export interface NodeInfo {
  name: string;
  ip: string;
}

/** For each node, the set of nodes whose packets it drops (Jepsen's "grudge").
 *  `{ n1: ["n2"] }` means n1 drops everything coming from n2: a one-way cut. */
export type Grudge = Record<string, string[]>;

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Run in the infra (network-owning, NET_ADMIN) container instead of the node's own. */
  infra?: boolean;
  env?: Record<string, string>;
  /** Fail if the command does not finish within this many ms. */
  timeoutMs?: number;
  user?: string;
}

export interface ClusterSpec {
  /** Number of nodes, named n1..nN. */
  nodes: number;
  /** A name for this cluster, unique among running ones; defaults to a random id. */
  id?: string;
  /** Image to run; defaults to the node base image built by `make setup`. */
  image?: string;
  /** Debian packages the nodes need beyond the node image (a --bin program's interpreter):
   *  the runtime runs the node image plus these, built once and cached. Ignored with `image`. */
  imagePackages?: string[];
  /** The command the node container runs as its main process. */
  command?: string[];
  /** Environment of the node's main process. */
  env?: Record<string, string>;
  /** Files copied into every node before its main process starts (programs, config). */
  files?: NodeFile[];
}

export interface Cluster {
  readonly id: string;
  readonly nodes: NodeInfo[];
  node(name: string): NodeInfo;

  exec(node: string, cmd: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Write a file (content or bytes) into the node's filesystem. */
  putFile(node: string, path: string, content: string | Buffer, mode?: number): Promise<void>;
  /** Read a file out of the node's filesystem. */
  getFile(node: string, path: string): Promise<Buffer>;
  /** The node's main process output (stdout+stderr), as Docker logs it. */
  logs(node: string): Promise<string>;

  /** SIGKILL the node's container; its filesystem (data directory) stays. */
  kill(node: string): Promise<void>;
  /** Stop the node gracefully: SIGTERM, then SIGKILL after `timeoutSeconds` (default 10).
   *  Optional so that test doubles need not implement it; the Docker runtime does. */
  stop?(node: string, timeoutSeconds?: number): Promise<void>;
  /** Start a killed or stopped node again, same address, same disk, same fault rules. */
  start(node: string): Promise<void>;
  /** Freeze every process of the node (cgroup freezer). */
  pause(node: string): Promise<void>;
  resume(node: string): Promise<void>;

  /** Replace the network faults with this grudge (empty grudge = fully connected). */
  partition(grudge: Grudge): Promise<void>;
  /** Receive omission: drop every packet arriving at `node` from other nodes. */
  dropIncoming(node: string): Promise<void>;
  /** Send omission: drop every packet `node` sends to other nodes. */
  dropOutgoing(node: string): Promise<void>;
  /** Drop each packet between `node` and other nodes with this probability (0..1). */
  loss(node: string, probability: number): Promise<void>;
  /** Remove every Faultline network rule on every node (and nothing else). */
  healNetwork(): Promise<void>;

  /** Offset the node's clock by this many seconds (libfaketime); 0 restores it. */
  setClockOffset(node: string, seconds: number): Promise<void>;

  /** Remove every container and the network of this cluster. Safe to call twice. */
  teardown(): Promise<void>;
}

/** A file placed in every node before its container first starts. */
export interface NodeFile {
  path: string;
  content: string | Buffer;
  mode?: number;
}
