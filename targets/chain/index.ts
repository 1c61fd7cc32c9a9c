// The chain replication lin-kv target: the chain node program (main.ts) run under the node
// host, with Maelstrom's lin-kv service (the chain master's state) run by the control process.
import type { Cluster } from "../../core/runtime.ts";
import { UserError } from "../../core/errors.ts";
import { requestOnce } from "../host/connection.ts";
import {
  HOST_LOG_PATHS,
  awaitHostsReady,
  bundledProgram,
  hostClusterSpec,
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
  defaultNemesis: ["partition", "kill"],
  variants: { ...VARIANTS },
  async clusterSpec(opts: TargetOptions) {
    if (opts.variant !== undefined && opts.variant !== "correct" && !(opts.variant in VARIANTS)) {
      throw new UserError(
        `chain has no variant ${opts.variant}; known: ${Object.keys(VARIANTS).join(", ")}`,
      );
    }
    const program = await bundledProgram(new URL("./main.ts", import.meta.url), "chain");
    const variant = opts.variant ? ["--variant", opts.variant] : [];
    return hostClusterSpec([program], ["node", program.path, ...variant]);
  },
  awaitReady: awaitHostsReady,
  client: openHostClient,
  background: startHostServices,
  leader: chainHead,
  logPaths: HOST_LOG_PATHS,
};

/** The head of the newest configuration any node reports: where updates enter, so faults
 *  aimed at "the leader" hit the node whose acknowledgements and cas decisions matter most. */
export async function chainHead(cluster: Cluster): Promise<string | undefined> {
  const answers = await Promise.all(
    cluster.nodes.map(async (n) => {
      const reply = await requestOnce(n.ip, n.name, { type: "role" }, 500);
      return typeof reply === "string" || reply.type !== "role_ok"
        ? undefined
        : { epoch: Number(reply.epoch), head: reply.head };
    }),
  );
  let best: { epoch: number; head: unknown } | undefined;
  for (const a of answers) if (a && (!best || a.epoch > best.epoch)) best = a;
  return typeof best?.head === "string" ? best.head : undefined;
}
