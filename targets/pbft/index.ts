// The PBFT lin-kv target: the PBFT replica program (main.ts) run under the node host, with a
// signing secret drawn for each run.
import { randomBytes } from "node:crypto";
import { UserError } from "../../core/errors.ts";
import type { Cluster } from "../../core/runtime.ts";
import {
  HOST_LOG_PATHS,
  awaitHostsReady,
  bundledProgram,
  hostClusterSpec,
  hostSentMessages,
  leaderByRole,
  openHostClient,
  setHostRules,
  startHostServices,
} from "../host/kit.ts";
import type { Target, TargetOptions } from "../types.ts";
import { VARIANTS } from "./variants.ts";

export const pbft: Target = {
  name: "pbft",
  description:
    "PBFT replicated key-value store (lin-kv read/write/cas): 3k+1 signed replicas, PRE-PREPARE/PREPARE/COMMIT, view changes",
  // The source's smallest group that survives one traitor: 3k+1 with k = 1.
  defaultNodes: 4,
  workloads: ["lin-kv"],
  // Traitors (k of them, by default the tolerance) besides the crash and network faults.
  defaultNemesis: ["partition", "kill", "byzantine"],
  variants: { ...VARIANTS },
  byzantine: { tolerance: (n) => Math.floor((n - 1) / 3), authenticated: true },
  executedLog: true,
  clusterSpec: pbftClusterSpec,
  awaitReady: awaitHostsReady,
  client: openHostClient,
  background: startHostServices,
  leader: pbftPrimary,
  sentMessages: hostSentMessages,
  messageRules: setHostRules,
  logPaths: HOST_LOG_PATHS,
};

async function pbftClusterSpec(opts: TargetOptions) {
  const { variant } = opts;
  if (variant !== undefined && variant !== "correct" && !(variant in VARIANTS)) {
    throw new UserError(
      `pbft has no variant ${variant}; known: ${Object.keys(VARIANTS).join(", ")}`,
    );
  }
  const program = await bundledProgram(new URL("./main.ts", import.meta.url), "pbft");
  const secret = randomBytes(16).toString("hex");
  const args = ["--secret", secret, ...(variant ? ["--variant", variant] : [])];
  return hostClusterSpec([program], ["node", program.path, ...args]);
}

/** The replica that answers `role` as primary in the highest view, if any. */
export function pbftPrimary(cluster: Cluster): Promise<string | undefined> {
  return leaderByRole(cluster, "primary", (a, b) => Number(a.view) > Number(b.view));
}
