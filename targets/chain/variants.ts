// The chain node's deliberately broken variants: each a realistic mistake that breaks a rule
// of the source material (chain replication as the lecture notes describe it), chosen with
// `--variant <name>`.
import { parseVariantOf } from "../lib/variants.ts";

export const VARIANTS = {
  "head-replies":
    "the head answers writes and cas once it has applied them itself, before they reach the tail [C3]: an update it acknowledged is lost when the head fails or is cut off",
  "non-tail-reads":
    "every node answers reads from its own state instead of sending them to the tail [C4]: the head shows updates that are not yet stable, a removed or lagging node stale ones",
  "unconfirmed-tail-reads":
    "the tail answers reads without confirming it is still the tail of the current configuration [C7]: a tail cut off and replaced serves stale reads",
} as const;

export type Variant = keyof typeof VARIANTS | "correct";

export function parseVariant(name: string | undefined): Variant {
  return parseVariantOf("chain", VARIANTS, name);
}
