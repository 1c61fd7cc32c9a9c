// The chain replication node program: `node chain.js [--variant <name>]`, run under the node host.
import { DiskStorage } from "../lib/durable.ts";
import { Node, dataDir, flag, runStdio } from "../lib/node.ts";
import { ChainNode, DEFAULT_OPTIONS } from "./chain.ts";
import { parseVariant } from "./variants.ts";

const variant = parseVariant(flag(process.argv, "variant"));
runStdio((write) => {
  const node = new Node(write);
  new ChainNode(node, { ...DEFAULT_OPTIONS, variant, storage: new DiskStorage(dataDir()) });
  return node;
});
