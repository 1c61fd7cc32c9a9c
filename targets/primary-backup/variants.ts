// The primary-backup node's deliberately broken variants: each a realistic mistake that breaks
// a rule of the source material, chosen with `--variant <name>`.
import { parseVariantOf } from "../lib/variants.ts";

export const VARIANTS = {
  "early-query":
    "the primary answers a query from its own state at once, before the backups acknowledged the updates before it [PB3]: a deposed primary answers stale reads",
  "no-epochs":
    "failover without epochs: a backup announces itself primary by overwriting the configuration, the old primary's messages never become stale [PB5], and two primaries serve at once",
} as const;

export type Variant = keyof typeof VARIANTS | "correct";

export function parseVariant(name: string | undefined): Variant {
  return parseVariantOf("primary-backup", VARIANTS, name);
}
