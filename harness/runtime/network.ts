// The cluster's bridge network: its own /24 out of 10.213.0.0/16, chosen so it cannot clash
// with an existing Docker network. Nodes get fixed addresses: n1 = .11, n2 = .12, ...
import { docker, statusOf } from "./docker.ts";
import { labels, networkName } from "./names.ts";

const POOL_PREFIX = "10.213"; // 256 subnets of /24
const FIRST_HOST = 10;

export interface ClusterNetwork {
  id: string;
  name: string;
  subnet: string; // e.g. 10.213.7.0/24
  gateway: string; // the host side of the bridge: where the control process's packets come from
  ipOf(index: number): string; // index 0 -> n1
}

function subnetFor(third: number): Omit<ClusterNetwork, "id" | "name"> {
  const base = `${POOL_PREFIX}.${third}`;
  return {
    subnet: `${base}.0/24`,
    gateway: `${base}.1`,
    ipOf: (index) => `${base}.${FIRST_HOST + 1 + index}`,
  };
}

/** Third octets of 10.213.x.0/24 subnets that Docker networks already use. */
async function usedThirdOctets(): Promise<Set<number>> {
  const used = new Set<number>();
  for (const net of await docker().listNetworks()) {
    for (const cfg of net.IPAM?.Config ?? []) {
      const m = /^10\.213\.(\d+)\./.exec(cfg.Subnet ?? "");
      if (m) used.add(Number(m[1]));
      // A wider network covering all of 10.213/16 (or more) would clash with every choice.
      if (/^10\.\d+\.\d+\.\d+\/(8|9|1[0-6])$/.test(cfg.Subnet ?? "")) used.add(-1);
    }
  }
  return used;
}

/** Create the labelled bridge network of a cluster, retrying when another process races us. */
export async function createNetwork(clusterId: string, maxNodes: number): Promise<ClusterNetwork> {
  if (maxNodes > 200) throw new Error("at most 200 nodes fit in a cluster's /24");
  const name = networkName(clusterId);
  const used = await usedThirdOctets();
  // Start at a random subnet so concurrent creations rarely pick the same one.
  const start = Math.floor(Math.random() * 256);
  for (let i = 0; i < 256; i++) {
    const third = (start + i) % 256;
    if (used.has(third)) continue;
    const sub = subnetFor(third);
    try {
      const net = await docker().createNetwork({
        Name: name,
        Driver: "bridge",
        CheckDuplicate: true,
        Labels: labels(clusterId),
        IPAM: { Driver: "default", Config: [{ Subnet: sub.subnet, Gateway: sub.gateway }] },
      });
      return { id: net.id, name, ...sub };
    } catch (err) {
      const msg = String((err as Error).message);
      // Another cluster took this subnet between our listing and our create: try the next.
      if (statusOf(err) === 403 || /overlap/i.test(msg)) continue;
      throw err;
    }
  }
  throw new Error("no free /24 left in 10.213.0.0/16 for a cluster network; run `faultline clean`");
}

/** Remove a network, ignoring one that is already gone. */
export async function removeNetwork(idOrName: string): Promise<boolean> {
  try {
    await docker().getNetwork(idOrName).remove();
    return true;
  } catch (err) {
    if (statusOf(err) === 404) return false;
    throw err;
  }
}
