// The operation format every part of Faultline shares (see docs/ and ../shared/DESIGN.md).
// One Op is one line of history.jsonl.

/** invoke: a client started an op; ok: it took effect; fail: it certainly did not;
 *  info: unknown, it may take effect at any later time, or never (a timeout is info). */
export type OpType = "invoke" | "ok" | "fail" | "info";

/** A logical client id, or "nemesis" for fault operations. */
export type Process = number | "nemesis";

export interface Op {
  /** Position in the history, 0-based, assigned by the writer. */
  index: number;
  /** Nanoseconds (monotonic) since the run started. */
  time: number;
  process: Process;
  type: OpType;
  /** The function: read, write, cas, ... for clients; start-partition, kill, ... for the nemesis. */
  f: string;
  value?: unknown;
  /** The key for multi-key workloads; absent for single-register histories. */
  key?: string;
  /** Error detail of a fail/info completion (a Maelstrom code, "timeout", ...). */
  error?: unknown;
  /** The node a client op was sent to, for reports. */
  node?: string;
  /** Any other fields an importer found; checkers ignore them. */
  [extra: string]: unknown;
}

/** Where ops are recorded: the history writer, or a fake in tests. Assigns the index. */
export interface Recorder {
  append(op: Omit<Op, "index">): Op;
}
