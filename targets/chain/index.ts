// The chain replication lin-kv target: the chain node program (main.ts) run under the node
// host, with Maelstrom's lin-kv service (the chain master's state) run by the control process.
import type { Cluster } from "../../core/runtime.ts";
import { requestOnce } from "../host/connection.ts";
import {
  HOST_LOG_PATHS,
  awaitHostsReady,
  hostSentMessages,
  setHostRules,
  variantProgramSpec,
  openHostClient,
  startHostServices,
} from "../host/kit.ts";
import type { Target, TargetOptions } from "../types.ts";
import { VARIANTS } from "./variants.ts";

export const chain: Target = {
  name: "chain",
  description:
    "chain replication key-value store (lin-kv read/write/cas): updates at the head, queries and replies at the tail, repaired through a master key in lin-kv",
  defaultNodes: 3,
  workloads: ["lin-kv"],
  // Partitions first: isolating one node ends by isolating the tail (leader) for 2 s, long
  // enough for the others to replace it while it still holds its clients. Then kills.
  defaultNemesis: ["partition", "kill"],
  variants: { ...VARIANTS },
  clusterSpec: (opts: TargetOptions) =>
    variantProgramSpec("chain", new URL("./main.ts", import.meta.url), VARIANTS, opts.variant),
  awaitReady: awaitHostsReady,
  client: openHostClient,
  background: startHostServices,
  leader: chainTail,
  sentMessages: hostSentMessages,
  messageRules: setHostRules,
  logPaths: HOST_LOG_PATHS,
};

/** The tail of the newest configuration any node reports. The tail is the chain's commit
 *  point: it answers every update and every query, and its failures are the ones repair must
 *  get right (the handover to a new tail, a removed tail that keeps its clients), so faults
 *  aimed at "the leader" hit it. The head is reached by the others: isolating "one" node
 *  picks one that is not the tail, and the staggered kill kills the tail and one other. */
export async function chainTail(cluster: Cluster): Promise<string | undefined> {
  const answers = await Promise.all(
    cluster.nodes.map(async (n) => {
      const reply = await requestOnce(n.ip, n.name, { type: "role" }, 500);
      return typeof reply === "string" || reply.type !== "role_ok"
        ? undefined
        : { epoch: Number(reply.epoch), tail: reply.tail };
    }),
  );
  let best: { epoch: number; tail: unknown } | undefined;
  for (const a of answers) if (a && (!best || a.epoch > best.epoch)) best = a;
  return typeof best?.tail === "string" ? best.tail : undefined;
}
