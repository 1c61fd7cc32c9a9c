// Every workload by name.
import { UserError } from "../../core/errors.ts";
import { registerWorkload } from "./register.ts";
import type { Workload } from "./types.ts";

export type { Workload } from "./types.ts";

export const workloads: Record<string, { description: string; create: () => Workload }> = {
  register: {
    description: "read/write/cas of unique values on 3 keys; linearizable per key",
    create: () => registerWorkload(),
  },
};

export function getWorkload(name: string): Workload {
  const entry = workloads[name];
  if (!entry)
    throw new UserError(
      `Unknown workload "${name}"; known workloads: ${Object.keys(workloads).join(", ")}.`,
    );
  return entry.create();
}
