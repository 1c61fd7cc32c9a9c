// The Byzantine agreement node program: `node byzantine-agreement.js [--variant <name>]
// [--round-ms <ms>]`, run under the node host.
import { Node, flag, runStdio } from "../lib/node.ts";
import { DEFAULT_OPTIONS, OralMessages } from "./om.ts";
import { parseVariant } from "./variants.ts";

const variant = parseVariant(flag(process.argv, "variant"));
const roundMs = Number(flag(process.argv, "round-ms") ?? DEFAULT_OPTIONS.roundMs);
runStdio((write) => {
  const node = new Node(write);
  new OralMessages(node, { ...DEFAULT_OPTIONS, variant, roundMs });
  return node;
});
