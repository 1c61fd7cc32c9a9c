// The Docker implementation of the Cluster interface (types.ts): a labelled bridge network and
// one pod (pods.ts) per node, with fault primitives on top (rules.ts, clock.ts).
import { sleep } from "../../core/clock.ts";
import type Docker from "dockerode";
import { EXIT, UserError } from "../../core/errors.ts";
import { RuleAgent } from "./agent.ts";
import { FAKETIME_FILE, faketimeSpec } from "./clock.ts";
import { assertDocker, demuxBuffer, docker, execIn, statusOf } from "./docker.ts";
import { assertImage, nodeImageTag } from "./image.ts";
import { ensureImageWithPackages } from "./extra-image.ts";
import {
  CLUSTER_LABEL,
  checkClusterId,
  containerName,
  networkName,
  newClusterId,
  nodeNames,
} from "./names.ts";
import { createNetwork, removeNetwork, type ClusterNetwork } from "./network.ts";
import { startPod, toTarEntry, type Pod } from "./pods.ts";
import { APPLY_SCRIPT, noFaults, renderRules, type NodeFaults } from "./rules.ts";
import { firstFileOf, tarOf } from "./tar.ts";
import type {
  Cluster,
  ClusterSpec,
  ExecOptions,
  ExecResult,
  Grudge,
  NodeInfo,
} from "../../core/runtime.ts";

/** Tries of a pause whose freeze timed out, and the wait between them. */
const PAUSE_ATTEMPTS = 5;
const PAUSE_RETRY_MS = 200;

const MAX_NODES = 200;

class DockerCluster implements Cluster {
  readonly nodes: NodeInfo[];
  private readonly faults = new Map<string, NodeFaults>();

  constructor(
    readonly id: string,
    readonly network: Pick<ClusterNetwork, "subnet" | "gateway">,
    nodes: NodeInfo[],
    private readonly pods: Map<string, Pod>,
  ) {
    this.nodes = nodes;
    for (const n of nodes) this.faults.set(n.name, noFaults());
  }

  node(name: string): NodeInfo {
    const info = this.nodes.find((n) => n.name === name);
    if (!info) {
      const names = this.nodes.map((n) => n.name).join(", ");
      throw new UserError(`No node named ${name} in cluster ${this.id} (it has ${names}).`);
    }
    return info;
  }

  private pod(name: string): Pod {
    this.node(name);
    return this.pods.get(name)!;
  }

  exec(node: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const pod = this.pod(node);
    return execIn(opts.infra ? pod.infra : pod.node, cmd, opts);
  }

  async putFile(node: string, path: string, content: string | Buffer, mode?: number) {
    await this.pod(node).node.putArchive(tarOf([toTarEntry(path, content, mode)]), { path: "/" });
  }

  async getFile(node: string, path: string): Promise<Buffer> {
    const stream = await this.pod(node).node.getArchive({ path });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return firstFileOf(Buffer.concat(chunks));
  }

  async logs(node: string): Promise<string> {
    const raw = await this.pod(node).node.logs({ stdout: true, stderr: true, follow: false });
    return demuxBuffer(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
  }

  async kill(node: string): Promise<void> {
    try {
      await this.pod(node).node.kill({ signal: "SIGKILL" });
    } catch (err) {
      if (statusOf(err) !== 409) throw err; // 409: not running, already what we want
    }
  }

  /** Stop the node gracefully: SIGTERM, then SIGKILL after `timeoutSeconds`. */
  async stop(node: string, timeoutSeconds = 10): Promise<void> {
    try {
      await this.pod(node).node.stop({ t: timeoutSeconds });
    } catch (err) {
      if (statusOf(err) !== 304) throw err; // 304: already stopped
    }
  }

  async start(node: string): Promise<void> {
    try {
      await this.pod(node).node.start();
    } catch (err) {
      if (statusOf(err) !== 304) throw err; // 304: already running
    }
  }

  async pause(node: string): Promise<void> {
    // The cgroup freezer gives up ("unable to freeze") when a process stays in the kernel
    // through its wait, as one blocked in fsync on a busy disk does; a moment later it
    // usually freezes. Seen under load with the two-phase-commit nodes, which fsync often.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.pod(node).node.pause();
      } catch (err) {
        if (attempt >= PAUSE_ATTEMPTS || !/unable to freeze/.test(String(err))) throw err;
        await sleep(PAUSE_RETRY_MS);
      }
    }
  }

  async resume(node: string): Promise<void> {
    try {
      await this.pod(node).node.unpause();
    } catch (err) {
      // Not paused (its pause failed, or it was killed and started since): nothing to undo.
      if (!/is not paused/.test(String(err))) throw err;
    }
  }

  /** Replace the grudge part of the network faults; omission and loss faults stay. */
  async partition(grudge: Grudge): Promise<void> {
    for (const [victim, sources] of Object.entries(grudge)) {
      this.node(victim);
      for (const s of sources) this.node(s);
    }
    const changed: string[] = [];
    for (const n of this.nodes) {
      const f = this.faults.get(n.name)!;
      const sources = (grudge[n.name] ?? []).filter((s) => s !== n.name); // never drop itself
      const next = new Set(sources.map((s) => this.node(s).ip));
      const same = next.size === f.dropFrom.size && [...next].every((ip) => f.dropFrom.has(ip));
      if (!same) changed.push(n.name);
      f.dropFrom = next;
    }
    await this.applyRules(changed);
  }

  async dropIncoming(node: string): Promise<void> {
    this.faultsOf(node).deaf = true;
    await this.applyRules([node]);
  }

  async dropOutgoing(node: string): Promise<void> {
    this.faultsOf(node).mute = true;
    await this.applyRules([node]);
  }

  async loss(node: string, probability: number): Promise<void> {
    if (!(probability >= 0 && probability <= 1)) {
      throw new UserError(`Packet loss must be a probability between 0 and 1, not ${probability}.`);
    }
    this.faultsOf(node).loss = probability;
    await this.applyRules([node]);
  }

  async healNetwork(): Promise<void> {
    for (const n of this.nodes) this.faults.set(n.name, noFaults());
    // Every node, not only those we faulted: this also heals rules left by another control
    // process in a cluster we attached to. One agent write per node: a few ms.
    await this.applyRules(this.nodes.map((n) => n.name));
  }

  async setClockOffset(node: string, seconds: number): Promise<void> {
    await this.pod(node).node.putArchive(
      tarOf([toTarEntry(FAKETIME_FILE, faketimeSpec(seconds))]),
      {
        path: "/",
      },
    );
  }

  async teardown(): Promise<void> {
    for (const pod of this.pods.values()) pod.agent?.close();
    await removeCluster(this.id);
  }

  private faultsOf(node: string): NodeFaults {
    this.node(node);
    return this.faults.get(node)!;
  }

  /** Rewrite the Faultline chains of these nodes (one docker exec each, in parallel). */
  private async applyRules(nodes: string[]): Promise<void> {
    await Promise.all(
      nodes.map(async (name) => {
        const me = this.node(name).ip;
        const peers = this.nodes.map((n) => n.ip).filter((ip) => ip !== me);
        const rules = renderRules(this.faults.get(name)!, peers);
        const pod = this.pods.get(name)!;
        if (!pod.agent?.alive)
          pod.agent = await RuleAgent.connect(pod.infra).catch(() => undefined);
        if (pod.agent?.alive) return pod.agent.apply(rules);
        // No agent (an image whose infra process is not ours): one docker exec instead.
        const r = await execIn(pod.infra, ["sh", "-c", APPLY_SCRIPT], {
          env: { FAULTLINE_RULES: rules },
          timeoutMs: 10_000,
        });
        if (r.exitCode !== 0) {
          throw new Error(
            `iptables in ${name}'s namespace failed (${r.exitCode}): ${r.stderr.trim()}`,
          );
        }
      }),
    );
  }
}

/** Start a cluster: a network and `spec.nodes` pods, in parallel. Cleans up if anything fails. */
export async function createCluster(spec: ClusterSpec): Promise<Cluster> {
  if (!Number.isInteger(spec.nodes) || spec.nodes < 1 || spec.nodes > MAX_NODES) {
    throw new UserError(`A cluster needs between 1 and ${MAX_NODES} nodes, not ${spec.nodes}.`);
  }
  const id = spec.id ?? newClusterId();
  if (!checkClusterId(id)) {
    throw new UserError(
      `Cluster id "${id}" is not usable; use lower-case letters, digits and dashes (at most 40).`,
    );
  }
  await assertDocker();
  const image =
    spec.image ??
    (spec.imagePackages?.length
      ? await ensureImageWithPackages(spec.imagePackages, {
          log: (line) => process.stderr.write(`faultline: ${line}\n`),
        })
      : nodeImageTag());
  await assertImage(image);
  if ((await clusterContainers(id)).length > 0) {
    throw new UserError(
      `A cluster with id ${id} already exists; take it down (\`faultline cluster down --id ${id}\`) or pick another id.`,
    );
  }

  // No container has this id, so a network of that name is a stale leftover: drop it.
  await removeNetwork(networkName(id));
  const net = await createNetwork(id, spec.nodes);
  try {
    const names = nodeNames(spec.nodes);
    const nodes = names.map((name, i) => ({ name, ip: net.ipOf(i) }));
    const pods = await Promise.all(
      nodes.map((n) =>
        startPod({
          clusterId: id,
          node: n.name,
          ip: n.ip,
          networkName: net.name,
          image,
          command: spec.command,
          env: spec.env,
          files: spec.files,
        }),
      ),
    );
    return new DockerCluster(id, net, nodes, new Map(names.map((n, i) => [n, pods[i]])));
  } catch (err) {
    await removeCluster(id).catch(() => {});
    throw err;
  }
}

/** Every container of one cluster (running or not). */
async function clusterContainers(id: string): Promise<Docker.ContainerInfo[]> {
  return docker().listContainers({
    all: true,
    filters: { label: [`${CLUSTER_LABEL}=${id}`] },
  });
}

/** Re-attach to a running cluster by id (for example one started by `faultline cluster up`). */
export async function attachCluster(id: string): Promise<Cluster> {
  await assertDocker();
  const infos = await clusterContainers(id);
  if (infos.length === 0) {
    throw new UserError(`No cluster with id ${id} exists; \`faultline cluster list\` shows them.`);
  }
  const net = await docker().getNetwork(networkName(id)).inspect();
  const cfg = net.IPAM?.Config?.[0] ?? {};
  const names = [...new Set(infos.map((c) => c.Labels["faultline.node"]).filter(Boolean))].sort(
    (a, b) => Number(a.slice(1)) - Number(b.slice(1)),
  );
  const pods = new Map<string, Pod>();
  const nodes: NodeInfo[] = [];
  for (const name of names) {
    const infra = docker().getContainer(containerName(id, name, "infra"));
    const node = docker().getContainer(containerName(id, name, "node"));
    const ip = (await infra.inspect()).NetworkSettings.Networks[networkName(id)]?.IPAddress;
    if (!ip)
      throw new UserError(
        `Cluster ${id} is damaged (${name} has no address); run \`faultline clean\`.`,
        EXIT.environment,
      );
    nodes.push({ name, ip });
    pods.set(name, { infra, node });
  }
  return new DockerCluster(
    id,
    { subnet: cfg.Subnet ?? "", gateway: cfg.Gateway ?? "" },
    nodes,
    pods,
  );
}

/** Remove every container and the network of one cluster. Safe to call twice. */
export async function removeCluster(id: string): Promise<{ containers: number; networks: number }> {
  const infos = await clusterContainers(id);
  const containers = await removeContainers(infos);
  const networks = (await removeNetwork(networkName(id))) ? 1 : 0;
  return { containers, networks };
}

/** Remove containers, node containers before the infra containers whose namespace they use. */
export async function removeContainers(infos: Docker.ContainerInfo[]): Promise<number> {
  const infraFirst = (c: Docker.ContainerInfo) => c.Labels["faultline.role"] === "infra";
  let removed = 0;
  for (const group of [infos.filter((c) => !infraFirst(c)), infos.filter(infraFirst)]) {
    await Promise.all(
      group.map(async (c) => {
        try {
          await docker().getContainer(c.Id).remove({ force: true, v: true });
          removed++;
        } catch (err) {
          if (statusOf(err) !== 404 && statusOf(err) !== 409) throw err; // gone or going
        }
      }),
    );
  }
  return removed;
}
