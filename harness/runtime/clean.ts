// Remove every leftover of every Faultline cluster: labelled containers and networks. Fault
// rules live in the containers' network namespaces, so they vanish with them.
import { docker, statusOf } from "./docker.ts";
import { CLUSTER_LABEL, LABEL } from "./names.ts";
import { removeContainers } from "./cluster.ts";
import { removeNetwork } from "./network.ts";

/** Remove every labelled container and network, or only those of one cluster. A network that
 *  something not ours (or a run still starting) keeps in use is left, and named in `inUse`. */
export async function cleanAll(
  clusterId?: string,
): Promise<{ containers: number; networks: number; inUse: string[] }> {
  const label = clusterId ? [`${LABEL}=1`, `${CLUSTER_LABEL}=${clusterId}`] : [`${LABEL}=1`];
  const filters = { label };
  const containers = await removeContainers(await docker().listContainers({ all: true, filters }));
  let networks = 0;
  const inUse: string[] = [];
  for (const net of await docker().listNetworks({ filters })) {
    try {
      if (await removeNetwork(net.Id)) networks++;
    } catch (err) {
      // 403: the network still has endpoints, containers we did not (or could not yet) list
      if (statusOf(err) !== 403) throw err;
      inUse.push(net.Name);
    }
  }
  return { containers, networks, inUse };
}

/** Running clusters: id -> node names (from container labels). */
export async function listClusters(): Promise<Map<string, string[]>> {
  const infos = await docker().listContainers({ all: true, filters: { label: [`${LABEL}=1`] } });
  const clusters = new Map<string, string[]>();
  for (const c of infos) {
    if (c.Labels["faultline.role"] !== "infra") continue;
    const id = c.Labels["faultline.cluster"];
    const list = clusters.get(id) ?? [];
    list.push(c.Labels["faultline.node"]);
    clusters.set(id, list);
  }
  for (const list of clusters.values())
    list.sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  return clusters;
}
