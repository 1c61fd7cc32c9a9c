// The Multi-Paxos lin-kv target: the Paxos node program (main.ts) run under the node host.
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
  messageRules: setHostRules,
  logPaths: HOST_LOG_PATHS,
};

/** The node that answers `role` as leader with the highest ballot, if any. */
export function paxosLeader(cluster: Cluster): Promise<string | undefined> {
  return leaderByRole(
    cluster,
    "leader",
    (a, b) => compareBallots(a.ballot as Ballot, b.ballot as Ballot) > 0,
  );
}
