// The Multi-Paxos lin-kv target: the Paxos node program (main.ts) run under the node host.
import type { Cluster } from "../../core/runtime.ts";
import { requestOnce } from "../host/connection.ts";
import {
  HOST_LOG_PATHS,
  awaitHostsReady,
  variantProgramSpec,
  hostSentMessages,
  openHostClient,
  startHostServices,
} from "../host/kit.ts";
import type { Target, TargetOptions } from "../types.ts";
import { compareBallots } from "./ballot.ts";
import type { Ballot } from "./ballot.ts";
import { VARIANTS } from "./variants.ts";

export const paxos: Target = {
  name: "paxos",
  description:
    "Multi-Paxos replicated key-value store (lin-kv read/write/cas), reads through the log",
  // The source material builds Paxos up on three servers.
  defaultNodes: 3,
  workloads: ["lin-kv"],
  defaultNemesis: ["partition", "kill"],
  variants: { ...VARIANTS },
  clusterSpec: (opts: TargetOptions) =>
    variantProgramSpec("paxos", new URL("./main.ts", import.meta.url), VARIANTS, opts.variant),
  awaitReady: awaitHostsReady,
  client: openHostClient,
  background: startHostServices,
  leader: paxosLeader,
  sentMessages: hostSentMessages,
  logPaths: HOST_LOG_PATHS,
};

/** The node that answers `role` as leader with the highest ballot, if any. */
export async function paxosLeader(cluster: Cluster): Promise<string | undefined> {
  const answers = await Promise.all(
    cluster.nodes.map(async (n) => {
      const reply = await requestOnce(n.ip, n.name, { type: "role" }, 500);
      return typeof reply === "string" || reply.type !== "role_ok"
        ? undefined
        : { node: n.name, role: reply.role, ballot: reply.ballot as Ballot };
    }),
  );
  let best: { node: string; ballot: Ballot } | undefined;
  for (const a of answers) {
    if (a?.role === "leader" && (!best || compareBallots(a.ballot, best.ballot) > 0)) best = a;
  }
  return best?.node;
}
