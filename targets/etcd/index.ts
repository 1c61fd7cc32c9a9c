// etcd, the real thing: Debian's etcd-server (3.4, in the node image) as an N-member cluster in
// the node containers, driven through its v3 JSON gateway by a client of our own (client.ts):
// lin-kv reads (ranges), writes (puts) and compare-and-sets (transactions). Kills restart a
// member from its data directory; partitions and pauses cut or freeze members. See docs/etcd.md.
import { readFileSync } from "node:fs";
import { UserError } from "../../core/errors.ts";
import type { Target } from "../types.ts";
import { EtcdClient } from "./client.ts";
import { CONF_FILE, START_SCRIPT, awaitEtcdReady, etcdLeader } from "./cluster.ts";
import { ETCD_VARIANTS, isEtcdVariant } from "./variants.ts";

export const etcd: Target = {
  name: "etcd",
  description:
    "etcd 3.4 (Debian's etcd-server) as a real cluster; lin-kv read/write/cas through our own client of its v3 JSON API (range, put, txn)",
  defaultNodes: 3,
  workloads: ["lin-kv"],
  // Partitions and pauses leave a member cut off or behind while its clients still reach it;
  // kills restart members from disk. Clock faults cannot reach etcd (noClockFaults).
  defaultNemesis: ["partition", "kill", "pause"],
  variants: { ...ETCD_VARIANTS },
  async clusterSpec(opts) {
    if (!isEtcdVariant(opts.variant))
      throw new UserError(
        `etcd has no variant ${opts.variant}; its variants: ${Object.keys(ETCD_VARIANTS).join(", ")}`,
      );
    // The variant lives in the client (how it reads): every member runs the same etcd.
    const script = readFileSync(new URL("./start.sh", import.meta.url));
    return {
      files: [{ path: START_SCRIPT, content: script, mode: 0o755 }],
      command: [START_SCRIPT],
    };
  },
  awaitReady: awaitEtcdReady,
  async client(_cluster, node, _codec, opts) {
    const reads = opts?.variant === "serializable-reads" ? "serializable" : "linearizable";
    return new EtcdClient(node.ip, { reads });
  },
  leader: etcdLeader,
  // etcd logs to stderr (collected as logs/<node>.log); the cluster file shows what it ran with.
  logPaths: [CONF_FILE],
  noClockFaults:
    "etcd is a Go program, and Go reads the clock through the vDSO, not libc, so libfaketime's offsets never reach it (its Raft timers are monotonic ticks anyway)",
};
