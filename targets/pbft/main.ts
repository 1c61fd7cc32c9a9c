// The PBFT replica program: `node pbft.js --secret <s> [--variant <name>]`, run under the node
// host. The secret is the run's: every replica derives its signing key from it [B2].
import { DiskStorage } from "../lib/durable.ts";
import { Node, dataDir, flag, runStdio } from "../lib/node.ts";
import { ed25519Signer } from "./crypto.ts";
import { DEFAULT_OPTIONS, Pbft } from "./pbft.ts";
import { parseVariant } from "./variants.ts";

const variant = parseVariant(flag(process.argv, "variant"));
const secret = flag(process.argv, "secret") ?? "faultline-pbft";
runStdio((write) => {
  const node = new Node(write);
  new Pbft(node, {
    ...DEFAULT_OPTIONS,
    variant,
    storage: new DiskStorage(dataDir()),
    signer: (self, ids) => ed25519Signer(secret, self, ids),
  });
  return node;
});
