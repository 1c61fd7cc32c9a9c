// The primary-backup lin-kv target: the primary-backup node program (main.ts) run under the
// node host, with Maelstrom's lin-kv service as its configuration service (docs/primary-backup.md).
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
  logPaths: HOST_LOG_PATHS,
};

/** The node that answers `role` as primary of the highest epoch, if any. */
export async function primaryOf(cluster: Cluster): Promise<string | undefined> {
  const answers = await Promise.all(
    cluster.nodes.map(async (n) => {
      const reply = await requestOnce(n.ip, n.name, { type: "role" }, 500);
      return typeof reply === "string" || reply.type !== "role_ok"
        ? undefined
        : { node: n.name, role: reply.role, epoch: Number(reply.epoch) };
    }),
  );
  let best: { node: string; epoch: number } | undefined;
  for (const a of answers) {
    if (a?.role === "primary" && (!best || a.epoch > best.epoch)) best = a;
  }
  return best?.node;
}
