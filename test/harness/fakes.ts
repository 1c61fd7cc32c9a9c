// In-process fakes of a cluster and a target, for testing the run flow without Docker. The
// fake target is a single in-memory key-value map; `stale` makes one node answer reads from
// an old copy (a broken system the checker must catch); `flaky` times some ops out.
import type { Cluster, NodeInfo } from "../../core/runtime.ts";
import type { Op } from "../../histories/op.ts";
import type { Recorder } from "../../histories/op.ts";
import type { Body, Client, Completion, Target } from "../../targets/types.ts";

export function fakeCluster(nodeCount: number, calls: string[] = []): Cluster {
  const nodes: NodeInfo[] = Array.from({ length: nodeCount }, (_, i) => ({
    name: `n${i + 1}`,
    ip: `10.9.0.${i + 1}`,
  }));
  const log =
    (what: string) =>
    async (...args: unknown[]) => {
      calls.push(
        `${what} ${args.map((a) => (typeof a === "object" ? JSON.stringify(a) : String(a))).join(" ")}`.trim(),
      );
    };
  return {
    id: "fake",
    nodes,
    node: (name) => nodes.find((n) => n.name === name)!,
    exec: async () => ({ exitCode: 0, stdout: "", stderr: "" }),
    putFile: async () => {},
    getFile: async (node, path) => Buffer.from(`log file ${path} of ${node}\n`),
    logs: async (node) => `container output of ${node}\n`,
    kill: log("kill"),
    start: log("start"),
    pause: log("pause"),
    resume: log("resume"),
    partition: log("partition"),
    dropIncoming: log("dropIncoming"),
    dropOutgoing: log("dropOutgoing"),
    loss: log("loss"),
    healNetwork: log("healNetwork"),
    setClockOffset: log("clock"),
    teardown: log("teardown"),
  };
}

export interface FakeTargetOptions {
  /** Node n1 answers reads from a snapshot that is refreshed only every 50 writes. */
  stale?: boolean;
  /** Every 20th op times out (info) after taking effect. */
  flaky?: boolean;
  /** Artificial latency per op, ms. */
  latencyMs?: number;
}

export function fakeTarget(opts: FakeTargetOptions = {}, calls: string[] = []): Target {
  const store = new Map<string, unknown>();
  let snapshot = new Map<string, unknown>();
  let writes = 0;
  let n = 0;
  // Answers with reply bodies, which the workload's codec turns into completions, as a
  // node-protocol target's client does.
  const apply = (op: { f: string; key?: string; value?: unknown }, node: string): Body => {
    const key = op.key ?? "";
    if (op.f === "read") {
      const from = opts.stale && node === "n1" ? snapshot : store;
      return from.has(key)
        ? { type: "read_ok", value: from.get(key) }
        : { type: "error", code: 20 };
    }
    if (++writes % 50 === 0) snapshot = new Map(store);
    if (op.f === "write") {
      store.set(key, op.value);
      return { type: "write_ok" };
    }
    const [from, to] = op.value as [unknown, unknown];
    if (!store.has(key)) return { type: "error", code: 20 };
    if (store.get(key) !== from) return { type: "error", code: 22 };
    store.set(key, to);
    return { type: "cas_ok" };
  };
  return {
    name: "fake",
    description: "an in-memory kv map",
    defaultNodes: 3,
    workloads: ["lin-kv"],
    variants: { stale: "n1 reads an old snapshot" },
    clusterSpec: async () => ({ image: "none" }),
    awaitReady: async () => {
      calls.push("awaitReady");
    },
    leader: async () => "n2",
    logPaths: ["/var/log/node.log"],
    client: async (_cluster, node, codec): Promise<Client> => ({
      async invoke(op) {
        if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
        codec.request(op); // an op the workload cannot send throws, as in a real client
        const result: Completion = codec.complete(op, apply(op, node.name));
        if (opts.flaky && ++n % 20 === 0) return { type: "info", error: "timeout" };
        return result;
      },
      close: async () => {},
    }),
  };
}

/** A recorder that keeps the history in memory, assigning indexes as the writer would. */
export function memoryRecorder(): Recorder & { ops: Op[] } {
  const ops: Op[] = [];
  return {
    ops,
    append: (op) => {
      const full = { ...op, index: ops.length } as Op;
      ops.push(full);
      return full;
    },
  };
}
