// The Paxos node's deliberately broken variants: each a realistic mistake that breaks a rule
// of the source material, chosen with `--variant <name>`.
import { parseVariantOf } from "../lib/variants.ts";

export const VARIANTS = {
  "execute-before-majority":
    "the leader executes a command and answers its client as soon as it has accepted it itself, before a majority has learned it (an isolated or crashed leader's acknowledged writes are lost)",
  "no-flush-takeover":
    "a new leader's takeover only collects promises: it re-proposes what it has itself accepted and numbers new commands after that, never flushing the outstanding values the others report, so its accepts overwrite chosen slots",
} as const;

export type Variant = keyof typeof VARIANTS | "correct";

export function parseVariant(name: string | undefined): Variant {
  return parseVariantOf("Paxos", VARIANTS, name);
}
