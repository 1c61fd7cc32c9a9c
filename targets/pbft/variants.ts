// The PBFT replica's deliberately broken variants: each a realistic mistake that breaks a rule
// of the source material, chosen with `--variant <name>`.
import { parseVariantOf } from "../lib/variants.ts";

export const VARIANTS = {
  "few-prepares":
    "a replica counts a request as prepared, keeps its certificate and sends COMMIT once it has the PRE-PREPARE and k PREPAREs (its own), fewer than the 2k the source asks: the certificates it keeps prove nothing to the next view, which forgets requests already executed",
  "ignore-certificates":
    "a new primary ignores the prepared certificates of the VIEW-CHANGEs: the new view starts numbering right after the stable checkpoint and re-proposes nothing, so sequence numbers already executed are given to other requests",
} as const;

export type Variant = keyof typeof VARIANTS | "correct";

export function parseVariant(name: string | undefined): Variant {
  return parseVariantOf("PBFT", VARIANTS, name);
}
