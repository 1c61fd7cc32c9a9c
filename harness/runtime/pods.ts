// A node is a small pod of two containers:
//   infra  faultline-<cluster>-<node>-net  owns the network namespace and the node's address
//          (NET_ADMIN, so iptables rules can be applied in it); its process is the rule
//          agent (agent.ts) that loads fault rules sent to it.
//   node   faultline-<cluster>-<node>      the node's own program, unprivileged, joined to the
//          infra container's namespace (`--network container:<infra>`).
// Killing and restarting the node container therefore keeps its address and its fault rules.
import type Docker from "dockerode";
import { AGENT_COMMAND, RuleAgent } from "./agent.ts";
import { docker } from "./docker.ts";
import { FAKETIME_FILE, fakeClockEnv, faketimeSpec } from "./clock.ts";
import { containerName, labels, NODE_LABEL, ROLE_LABEL } from "./names.ts";
import { tarOf, type TarEntry } from "./tar.ts";
import type { NodeFile } from "../../core/runtime.ts";

export interface PodSpec {
  clusterId: string;
  node: string;
  ip: string;
  networkName: string;
  image: string;
  command?: string[];
  env?: Record<string, string>;
  files?: NodeFile[];
}

export interface Pod {
  infra: Docker.Container;
  node: Docker.Container;
  /** The infra container's rule agent, attached lazily (see agent.ts). */
  agent?: RuleAgent;
}

function envList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

export function toTarEntry(path: string, content: string | Buffer, mode?: number): TarEntry {
  return {
    path: path.replace(/^\/+/, ""),
    content: typeof content === "string" ? Buffer.from(content) : content,
    mode,
  };
}

/** Create and start the infra container: it holds the address on the cluster network. */
async function startInfra(spec: PodSpec): Promise<Docker.Container> {
  const infra = await docker().createContainer({
    name: containerName(spec.clusterId, spec.node, "infra"),
    Image: spec.image,
    Cmd: AGENT_COMMAND,
    // The rule agent reads rule sets on stdin; it stays open when the control process leaves.
    OpenStdin: true,
    StdinOnce: false,
    AttachStdin: true,
    Hostname: spec.node,
    Labels: labels(spec.clusterId, { [NODE_LABEL]: spec.node, [ROLE_LABEL]: "infra" }),
    HostConfig: {
      Init: true, // a real PID 1, so the sleep dies at once on removal
      CapAdd: ["NET_ADMIN"],
      NetworkMode: spec.networkName,
    },
    NetworkingConfig: {
      EndpointsConfig: {
        [spec.networkName]: { IPAMConfig: { IPv4Address: spec.ip }, Aliases: [spec.node] },
      },
    },
  });
  await infra.start();
  return infra;
}

/** Docker keeps at most 2 x 10 MB of a node's output: an hour-long run cannot fill the disk. */
const CAPPED_LOGS = { Type: "json-file", Config: { "max-size": "10m", "max-file": "2" } };

/** Create the node container in the infra's namespace, put its files in, then start it. */
async function startNode(spec: PodSpec, infra: Docker.Container): Promise<Docker.Container> {
  const node = await docker().createContainer({
    name: containerName(spec.clusterId, spec.node, "node"),
    Image: spec.image,
    Cmd: spec.command,
    Env: envList({ ...fakeClockEnv(), FAULTLINE_NODE: spec.node, ...spec.env }),
    Labels: labels(spec.clusterId, { [NODE_LABEL]: spec.node, [ROLE_LABEL]: "node" }),
    HostConfig: { Init: true, NetworkMode: `container:${infra.id}`, LogConfig: CAPPED_LOGS },
  });
  const entries = [toTarEntry(FAKETIME_FILE, faketimeSpec(0))];
  for (const f of spec.files ?? []) entries.push(toTarEntry(f.path, f.content, f.mode));
  await node.putArchive(tarOf(entries), { path: "/" });
  await node.start();
  return node;
}

/** Start one pod. On failure the caller tears the cluster down (everything is labelled). */
export async function startPod(spec: PodSpec): Promise<Pod> {
  const infra = await startInfra(spec);
  const [node, agent] = await Promise.all([startNode(spec, infra), RuleAgent.connect(infra)]);
  return { infra, node, agent };
}
