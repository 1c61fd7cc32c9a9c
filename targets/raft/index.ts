// The Raft lin-kv target: the Raft node program (main.ts) run under the node host.
import type { Cluster } from "../../core/runtime.ts";
import {
  HOST_LOG_PATHS,
  awaitHostsReady,
  leaderByRole,
  variantProgramSpec,
  hostSentMessages,
  setHostRules,
  openHostClient,
  startHostServices,
} from "../host/kit.ts";
import type { Target, TargetOptions } from "../types.ts";
import { VARIANTS } from "./variants.ts";

export const raft: Target = {
  name: "raft",
  description: "Raft replicated key-value store (lin-kv read/write/cas), reads through the log",
  defaultNodes: 5,
  workloads: ["lin-kv"],
  variants: { ...VARIANTS },
  clusterSpec: (opts: TargetOptions) =>
    variantProgramSpec("raft", new URL("./main.ts", import.meta.url), VARIANTS, opts.variant),
  awaitReady: awaitHostsReady,
  client: openHostClient,
  sentMessages: hostSentMessages,
  messageRules: setHostRules,
  background: startHostServices,
  leader: raftLeader,
  logPaths: HOST_LOG_PATHS,
};

/** The node that answers `role` as leader in the highest term, if any. */
export function raftLeader(cluster: Cluster): Promise<string | undefined> {
  return leaderByRole(cluster, "leader", (a, b) => Number(a.term) > Number(b.term));
}
