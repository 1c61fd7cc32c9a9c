// What every node-protocol target shares: the cluster spec that runs a program under the
// node host, readiness (sending each host its topology), clients, host statistics, and
// Maelstrom's built-in services (lin-kv, seq-kv, lww-kv) run from the control process.
import { fileURLToPath } from "node:url";
import type { Cluster, ClusterSpec, NodeFile, NodeInfo } from "../../core/runtime.ts";
import { UserError, EXIT } from "../../core/errors.ts";
import type { MessageCodec, MessageRule, SentCount } from "../types.ts";
import { bundle } from "./bundle.ts";
import { HostClient } from "./client.ts";
import { requestOnce } from "./connection.ts";
import type { Body } from "./connection.ts";
import { CLIENT_PORT, HOST_LOG, PROGRAM_DIR } from "./ports.ts";
import { startServiceLinks } from "./services/link.ts";
import type { HostServices } from "./services/link.ts";
import { startFailureIn } from "./start-failure.ts";

export type { HostServices };

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

/** The cluster spec of one of our TypeScript node programs (`entry`, bundled) under the
 *  host, with the run's variant, checked against the target's, passed as `--variant`. */
export async function variantProgramSpec(
  target: string,
  entry: URL,
  variants: Record<string, string>,
  variant: string | undefined,
): Promise<Omit<ClusterSpec, "nodes" | "id">> {
  if (variant !== undefined && variant !== "correct" && !(variant in variants)) {
    throw new UserError(
      `${target} has no variant ${variant}; known: ${Object.keys(variants).join(", ")}`,
    );
  }
  const program = await bundledProgram(entry, target);
  const args = variant ? ["--variant", variant] : [];
  return hostClusterSpec([program], ["node", program.path, ...args]);
}

/** Ask every node `{"type":"role"}`; of those whose `role_ok` answer has `role` equal to
 *  `leading`, the one whose answer `outranks` the others (a newer term, ballot or epoch). */
export async function leaderByRole(
  cluster: Cluster,
  leading: string,
  outranks: (a: Body, b: Body) => boolean,
): Promise<string | undefined> {
  const answers = await Promise.all(
    cluster.nodes.map(async (n) => {
      const reply = await requestOnce(n.ip, n.name, { type: "role" }, 500);
      return typeof reply === "string" || reply.type !== "role_ok" || reply.role !== leading
        ? undefined
        : { node: n.name, reply };
    }),
  );
  let best: { node: string; reply: Body } | undefined;
  for (const a of answers) if (a && (!best || outranks(a.reply, best.reply))) best = a;
  return best?.node;
}

/** How often, at most, readiness reads the log of a node that refuses connections. */
const LOG_CHECK_MS = 500;

/** Tell every host the topology (idempotent) and wait until each node program is ready.
 *  A node whose program cannot start (its host logged why, then exited) fails the wait at
 *  once with that reason; a node that only refuses for a while (restarting) is waited for. */
export async function awaitHostsReady(cluster: Cluster, timeoutMs: number): Promise<void> {
  const nodes = Object.fromEntries(cluster.nodes.map((n) => [n.name, n.ip]));
  const deadline = Date.now() + timeoutMs;
  const waiting = new Set(cluster.nodes.map((n) => n.name));
  const logCheckedAt = new Map<string, number>();
  let last = "";
  while (waiting.size > 0) {
    await Promise.all(
      [...waiting].map(async (name) => {
        const reply = await requestOnce(
          cluster.node(name).ip,
          name,
          { type: "host_topology", node_id: name, nodes },
          1000,
        );
        if (typeof reply !== "string" && reply.type === "host_topology_ok" && reply.ready) {
          waiting.delete(name);
          return;
        }
        last = typeof reply === "string" ? reply : JSON.stringify(reply);
        if (reply === "refused" && Date.now() - (logCheckedAt.get(name) ?? 0) >= LOG_CHECK_MS) {
          logCheckedAt.set(name, Date.now());
          await failIfCannotStart(cluster, name);
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

/** Throws if the node's host logged, in its latest start, that its program cannot start. */
async function failIfCannotStart(cluster: Cluster, name: string): Promise<void> {
  let log: string;
  try {
    log = await cluster.logs(name);
  } catch {
    return; // no log to read (yet): keep waiting
  }
  const reason = startFailureIn(log);
  if (reason !== undefined) {
    throw new UserError(
      `${name}'s program could not start: ${reason} (see its log in the run's logs/)`,
      EXIT.environment,
    );
  }
}

/** Maelstrom's built-in services for every node of the cluster: one store per service in
 *  this process (surviving node restarts), one service link per node host, re-attached after
 *  a node restarts. Targets set it as their `background`. */
export async function startHostServices(cluster: Cluster): Promise<HostServices> {
  return startServiceLinks(
    cluster.nodes.map((n) => ({ node: n.name, host: n.ip, port: CLIENT_PORT })),
  );
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

/** The messages a node's host has sent to other nodes (every body type), counted since the host
 *  started (`since`: its boot id); a node-protocol target's `sentMessages`. */
export async function hostSentMessages(
  cluster: Cluster,
  node: string,
): Promise<SentCount | undefined> {
  const stats = await hostStats(cluster, node);
  if (stats?.type !== "host_stats_ok" || typeof stats.sent !== "object" || stats.sent === null)
    return undefined;
  let sent = 0;
  for (const n of Object.values(stats.sent as Record<string, unknown>))
    if (typeof n === "number") sent += n;
  return { sent, ...(typeof stats.boot === "string" ? { since: stats.boot } : {}) };
}

/** Replace the interceptor rules of a node's host (`host_rules`; an empty list heals); a
 *  node-protocol target's `messageRules`. Throws if the host does not take them. */
export async function setHostRules(
  cluster: Cluster,
  node: string,
  rules: MessageRule[],
): Promise<void> {
  const reply = await requestOnce(cluster.node(node).ip, node, { type: "host_rules", rules }, 2000);
  if (typeof reply === "string" || reply.type !== "host_rules_ok") {
    const why = typeof reply === "string" ? reply : String(reply.text ?? reply.type);
    throw new Error(`${node}'s host did not take its message rules: ${why}`);
  }
}
