// What every node-protocol target shares: the cluster spec that runs a program under the
// node host, readiness (sending each host its topology), clients, host statistics.
import { fileURLToPath } from "node:url";
import type { Cluster, ClusterSpec, NodeFile, NodeInfo } from "../../core/runtime.ts";
import { UserError, EXIT } from "../../core/errors.ts";
import type { MessageCodec } from "../types.ts";
import { bundle } from "./bundle.ts";
import { HostClient } from "./client.ts";
import { requestOnce } from "./connection.ts";
import type { Body } from "./connection.ts";
import { HOST_LOG, PROGRAM_DIR } from "./ports.ts";

export const HOST_LOG_PATHS = [HOST_LOG];

/** A TypeScript program bundled into a node file at /opt/faultline/<name>.js. */
export async function bundledProgram(entryUrl: URL, name: string): Promise<NodeFile> {
  return { path: `${PROGRAM_DIR}/${name}.js`, content: await bundle(fileURLToPath(entryUrl)) };
}

/** Run `command` (with `files` in place) under the node host in every node. */
export async function hostClusterSpec(
  files: NodeFile[],
  command: string[],
): Promise<Omit<ClusterSpec, "nodes" | "id">> {
  const host = await bundledProgram(new URL("./main.ts", import.meta.url), "host");
  return { files: [host, ...files], command: ["node", host.path, "--", ...command] };
}

/** Tell every host the topology (idempotent) and wait until each node program is ready. */
export async function awaitHostsReady(cluster: Cluster, timeoutMs: number): Promise<void> {
  const nodes = Object.fromEntries(cluster.nodes.map((n) => [n.name, n.ip]));
  const deadline = Date.now() + timeoutMs;
  const waiting = new Set(cluster.nodes.map((n) => n.name));
  let last = "";
  while (waiting.size > 0) {
    await Promise.all(
      [...waiting].map(async (name) => {
        const reply = await requestOnce(
          cluster.node(name).ip,
          name,
          { type: "topology", node_id: name, nodes },
          1000,
        );
        if (typeof reply !== "string" && reply.type === "topology_ok" && reply.ready) {
          waiting.delete(name);
        } else {
          last = typeof reply === "string" ? reply : JSON.stringify(reply);
        }
      }),
    );
    if (waiting.size === 0) return;
    if (Date.now() > deadline) {
      throw new UserError(
        `nodes ${[...waiting].join(", ")} did not become ready within ${timeoutMs} ms (last answer: ${last}); see their host logs`,
        EXIT.environment,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function openHostClient(
  _cluster: Cluster,
  node: NodeInfo,
  codec: MessageCodec,
): Promise<HostClient> {
  return new HostClient(node.ip, node.name, codec);
}

/** A node's message counters (host_stats), or undefined if it does not answer. */
export async function hostStats(cluster: Cluster, node: string): Promise<Body | undefined> {
  const reply = await requestOnce(cluster.node(node).ip, node, { type: "host_stats" }, 1000);
  return typeof reply === "string" ? undefined : reply;
}
