// The Byzantine agreement node's deliberately broken variants: each a realistic mistake that
// breaks a rule of the source material's oral-messages algorithm, chosen with
// `--variant <name>`.
import { parseVariantOf } from "../lib/variants.ts";

export const VARIANTS = {
  "one-round":
    "backups store the value the primary sent them without relaying it [B4]: a primary that tells backups different values splits them (BA1)",
  "no-default":
    "a missing message is left out instead of counting as the default, and a tie is broken by whichever value came first [B5][B6]: backups with the same votes decide differently (BA1; needs ties: 7 nodes with 2 traitors, or lost messages)",
} as const;

export type Variant = keyof typeof VARIANTS | "correct";

export function parseVariant(name: string | undefined): Variant {
  return parseVariantOf("byzantine-agreement", VARIANTS, name);
}
