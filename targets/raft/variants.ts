// The Raft node's deliberately broken variants: each a realistic mistake that breaks a rule
// of the source material (and of Raft as published), chosen with `--variant <name>`.
import { parseVariantOf } from "../lib/variants.ts";

export const VARIANTS = {
  "local-read":
    "any node answers reads from its own state without confirming it leads (stale reads from followers and deposed leaders)",
  "no-persist":
    "current term and vote are kept only in memory, so a node restarted within a term can vote twice and elect two leaders",
  "vote-stale-log":
    "votes are granted without the log up-to-date check, so a leader missing committed entries can be elected and overwrite them",
} as const;

export type Variant = keyof typeof VARIANTS | "correct";

export function parseVariant(name: string | undefined): Variant {
  return parseVariantOf("Raft", VARIANTS, name);
}
