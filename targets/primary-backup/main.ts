// The primary-backup node program: `node primary-backup.js [--variant <name>]`, run under the
// node host, which gives it the configuration service (lin-kv) and its data directory.
import { DiskStorage } from "../lib/durable.ts";
import { Node, dataDir, flag, runStdio } from "../lib/node.ts";
import { DEFAULT_OPTIONS, PrimaryBackup } from "./primary-backup.ts";
import { parseVariant } from "./variants.ts";

const variant = parseVariant(flag(process.argv, "variant"));
runStdio((write) => {
  const node = new Node(write);
  new PrimaryBackup(node, { ...DEFAULT_OPTIONS, variant, storage: new DiskStorage(dataDir()) });
  return node;
});
