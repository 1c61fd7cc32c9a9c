// The Byzantine agreement node's deliberately broken variants: each a realistic mistake that
// breaks a rule of the source material's oral-messages algorithm, chosen with
// `--variant <name>`.
import { parseVariantOf } from "../lib/variants.ts";

export const VARIANTS = {
  "one-round":
    "backups store the value the primary sent them without relaying it [B4]: a primary that tells backups different values splits them (BA1)",
  "no-default":
    "a tie is broken by whichever value arrived first instead of the default [B6]: backups holding the same votes decide differently (BA1; ties need an even number of lieutenants: 7 nodes, not 4)",
} as const;

export type Variant = keyof typeof VARIANTS | "correct";

export function parseVariant(name: string | undefined): Variant {
  return parseVariantOf("byzantine-agreement", VARIANTS, name);
}
