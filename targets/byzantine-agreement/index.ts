// The byzantine-agreement target: Byzantine agreement with oral messages, OM(k) (om.ts), run
// under the node host, for the `agreement` workload (docs/byzantine-agreement.md).
import { UserError } from "../../core/errors.ts";
import {
  HOST_LOG_PATHS,
  awaitHostsReady,
  hostSentMessages,
  openHostClient,
  setHostRules,
  variantProgramSpec,
} from "../host/kit.ts";
import type { Target, TargetOptions } from "../types.ts";
import { VARIANTS } from "./variants.ts";

/** Traitors OM tolerates with n nodes: n >= 3k+1 [B3]. */
export function tolerance(nodes: number): number {
  return Math.max(0, Math.floor((nodes - 1) / 3));
}

export const byzantineAgreement: Target = {
  name: "byzantine-agreement",
  description:
    "Byzantine agreement with oral messages, OM(k): k+1 rounds of relaying, majority with a default, n >= 3k+1 (n = 3 runs OM(1) to show 3k is not enough)",
  defaultNodes: 4,
  workloads: ["agreement"],
  defaultNemesis: ["byzantine"],
  variants: { ...VARIANTS },
  clusterSpec(opts: TargetOptions) {
    if (opts.nodes < 3)
      throw new UserError(
        `byzantine-agreement needs a primary and two backups at least: --nodes 3 or more, not ${opts.nodes}.`,
      );
    return variantProgramSpec(
      "byzantine-agreement",
      new URL("./main.ts", import.meta.url),
      VARIANTS,
      opts.variant,
    );
  },
  awaitReady: awaitHostsReady,
  client: openHostClient,
  sentMessages: hostSentMessages,
  messageRules: setHostRules,
  logPaths: HOST_LOG_PATHS,
  byzantine: { tolerance, valueFields: ["value"], authenticated: true },
};
