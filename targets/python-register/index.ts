// A single-node key-value register written in Python (register.py), run under the node
// host: proof that a node in any language works, and a trivial target for measuring the
// harness's own overhead.
import { readFileSync } from "node:fs";
import { UserError } from "../../core/errors.ts";
import {
  HOST_LOG_PATHS,
  awaitHostsReady,
  hostClusterSpec,
  hostSentMessages,
  setHostRules,
  openHostClient,
  startHostServices,
} from "../host/kit.ts";
import { PROGRAM_DIR } from "../host/ports.ts";
import type { Target } from "../types.ts";

export const pythonRegister: Target = {
  name: "python-register",
  description: "single-node in-memory key-value register written in Python (read/write/cas, echo)",
  defaultNodes: 1,
  workloads: ["lin-kv", "echo"],
  variants: {},
  async clusterSpec(opts) {
    if (opts.nodes !== 1) {
      throw new UserError(
        `python-register runs on exactly 1 node, not ${opts.nodes}; use --nodes 1`,
      );
    }
    if (opts.variant) throw new UserError("python-register has no variants");
    const path = `${PROGRAM_DIR}/register.py`;
    const content = readFileSync(new URL("./register.py", import.meta.url));
    return hostClusterSpec([{ path, content, mode: 0o755 }], ["python3", "-u", path]);
  },
  awaitReady: awaitHostsReady,
  client: openHostClient,
  sentMessages: hostSentMessages,
  messageRules: setHostRules,
  background: startHostServices,
  async leader(cluster) {
    return cluster.nodes[0]?.name;
  },
  logPaths: HOST_LOG_PATHS,
};
