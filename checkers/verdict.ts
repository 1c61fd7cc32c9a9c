// The one way verdicts merge, everywhere (runs, `faultline check`, compositions, reports):
// any violation is a violation; otherwise any unknown is unknown, and so is having no verdict
// at all (nothing was checked, so nothing is known); only all-true is true.
import type { Verdict } from "./types.ts";

export function mergeVerdicts(verdicts: Iterable<Verdict>): Verdict {
  let any = false;
  let unknown = false;
  for (const v of verdicts) {
    any = true;
    if (v === false) return false;
    if (v !== true) unknown = true;
  }
  return any && !unknown ? true : "unknown";
}
