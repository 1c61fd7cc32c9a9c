// How many traitors a run's `byzantine` faults make: --byzantine k, or by default what the
// target declares it tolerates with the run's nodes (Target.byzantine.tolerance).
import { UserError } from "../../core/errors.ts";
import type { Target } from "../../targets/types.ts";
import type { RunSpec } from "./spec.ts";

/** The traitor count of a run with `--nemesis byzantine` (undefined without it); a UserError
 *  when there is none to take or the count given cannot be. */
export function traitorCount(
  spec: Pick<RunSpec, "nemesis" | "nodes" | "byzantine">,
  target: Pick<Target, "name" | "byzantine">,
): number | undefined {
  if (!spec.nemesis.includes("byzantine")) {
    if (spec.byzantine !== undefined)
      throw new UserError(
        `--byzantine ${spec.byzantine} needs the byzantine fault: add it to --nemesis (e.g. --nemesis byzantine).`,
      );
    return undefined;
  }
  if (spec.byzantine === undefined) {
    if (!target.byzantine)
      throw new UserError(
        `Target "${target.name}" declares no Byzantine tolerance (it is not meant to survive lying nodes); give --byzantine k to run it with k traitors anyway.`,
      );
    const k = target.byzantine.tolerance(spec.nodes);
    if (k < 1)
      throw new UserError(
        `Target "${target.name}" tolerates no traitors with ${spec.nodes} nodes; give --byzantine k to run it with k traitors anyway.`,
      );
    return k;
  }
  const k = spec.byzantine;
  if (!Number.isInteger(k) || k < 1 || k >= spec.nodes)
    throw new UserError(
      `--byzantine must be a whole number from 1 to ${spec.nodes - 1} (fewer traitors than nodes), got ${k}.`,
    );
  return k;
}
