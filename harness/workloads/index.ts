// Every workload by name (docs/running.md lists them with their checkers). To add one: a file
// beside this one exporting a Workload factory, and one entry below.
import { UserError } from "../../core/errors.ts";
import { linKvWorkload } from "./lin-kv.ts";
import type { Workload, WorkloadContext, WorkloadEntry } from "./types.ts";

export type { Workload, WorkloadContext, WorkloadEntry } from "./types.ts";

export const workloads: Record<string, WorkloadEntry> = {
  "lin-kv": {
    description: "read/write/cas of unique values on 3 keys; linearizable per key",
    operations: ["read", "write", "cas"],
    create: () => linKvWorkload(),
  },
};

/** Old names that still work (a stored run's test.json may use them). */
export const WORKLOAD_ALIASES: Record<string, string> = { register: "lin-kv" };

/** The canonical name of a workload, or a UserError naming the known ones. */
export function workloadName(name: string): string {
  const canonical = WORKLOAD_ALIASES[name] ?? name;
  if (!workloads[canonical])
    throw new UserError(
      `Unknown workload "${name}"; known workloads: ${Object.keys(workloads).join(", ")}.`,
    );
  return canonical;
}

export function getWorkload(name: string, ctx: WorkloadContext): Workload {
  return workloads[workloadName(name)]!.create(ctx);
}
