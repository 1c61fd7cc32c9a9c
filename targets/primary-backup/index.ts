// The primary-backup lin-kv target: the primary-backup node program (main.ts) run under the
// node host, with Maelstrom's lin-kv service as its configuration service (docs/primary-backup.md).
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

export const primaryBackup: Target = {
  name: "primary-backup",
  description:
    "primary-backup key-value store (lin-kv read/write/cas) with failover epochs; configuration in the lin-kv service",
  defaultNodes: 3,
  workloads: ["lin-kv"],
  defaultNemesis: ["partition", "kill"],
  variants: { ...VARIANTS },
  clusterSpec: (opts: TargetOptions) =>
    variantProgramSpec(
      "primary-backup",
      new URL("./main.ts", import.meta.url),
      VARIANTS,
      opts.variant,
    ),
  awaitReady: awaitHostsReady,
  client: openHostClient,
  // The nodes keep their configuration in the lin-kv service.
  background: startHostServices,
  leader: primaryOf,
  sentMessages: hostSentMessages,
  messageRules: setHostRules,
  logPaths: HOST_LOG_PATHS,
};

/** The node that answers `role` as primary of the highest epoch, if any. */
export function primaryOf(cluster: Cluster): Promise<string | undefined> {
  return leaderByRole(cluster, "primary", (a, b) => Number(a.epoch) > Number(b.epoch));
}
