// Names and labels of everything the runtime creates. Every object carries LABEL=1 so that
// `faultline clean` can find leftovers of any cluster, even one whose control process died.
import { randomBytes } from "node:crypto";

export const LABEL = "faultline";
export const CLUSTER_LABEL = "faultline.cluster";
export const NODE_LABEL = "faultline.node";
/** "infra" (owns the network namespace and address) or "node" (runs the node's program). */
export const ROLE_LABEL = "faultline.role";

export type Role = "infra" | "node";

export function networkName(clusterId: string): string {
  return `faultline-${clusterId}`;
}

export function containerName(clusterId: string, node: string, role: Role): string {
  return role === "infra" ? `faultline-${clusterId}-${node}-net` : `faultline-${clusterId}-${node}`;
}

export function labels(
  clusterId: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { [LABEL]: "1", [CLUSTER_LABEL]: clusterId, ...extra };
}

/** Node names n1..nN. */
export function nodeNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `n${i + 1}`);
}

/** A cluster id: letters, digits and dashes, usable in container names. */
export function checkClusterId(id: string): boolean {
  return /^[a-z0-9][a-z0-9-]{0,39}$/.test(id);
}

/** A fresh random cluster id (six hex digits). A run picks it before the cluster exists, so
 *  test.json can say what to clean if the run dies while the cluster comes up. */
export function newClusterId(): string {
  return randomBytes(3).toString("hex");
}
