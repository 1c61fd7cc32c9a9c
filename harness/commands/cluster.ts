// faultline cluster up|down|list: leave a cluster running for a person to poke at.
import type { CommandModule } from "yargs";
import { EXIT, UserError } from "../../core/errors.ts";
import {
  assertDocker,
  attachCluster,
  createCluster,
  listClusters,
  removeCluster,
} from "../runtime/index.ts";

interface UpArgs {
  nodes: number;
  id?: string;
  image?: string;
}

const up: CommandModule<object, UpArgs> = {
  command: "up",
  describe: "Start a cluster of idle nodes and leave it running",
  builder: (y) =>
    y
      .option("nodes", { type: "number", default: 3, describe: "Number of nodes (n1..nN)" })
      .option("id", { type: "string", describe: "Cluster id (default: random)" })
      .option("image", { type: "string", describe: "Image (default: the node base image)" }),
  handler: async (args) => {
    const cluster = await createCluster({ nodes: args.nodes, id: args.id, image: args.image });
    console.log(`Cluster ${cluster.id} is up:`);
    for (const n of cluster.nodes) console.log(`  ${n.name}  ${n.ip}`);
    console.log(`Shell into a node: docker exec -it faultline-${cluster.id}-n1 bash`);
    console.log(`Take it down:      faultline cluster down --id ${cluster.id}`);
  },
};

/** The cluster to act on: the one named, or the only one running. */
async function pickCluster(id: string | undefined): Promise<string | undefined> {
  if (id) return id;
  const ids = [...(await listClusters()).keys()];
  if (ids.length > 1) {
    throw new UserError(`Several clusters are running (${ids.join(", ")}); name one with --id.`);
  }
  return ids[0];
}

const down: CommandModule<object, { id?: string }> = {
  command: "down",
  describe: "Take a cluster down (the only running one, or --id)",
  builder: (y) => y.option("id", { type: "string", describe: "Cluster id" }),
  handler: async (args) => {
    await assertDocker();
    const id = await pickCluster(args.id);
    if (!id) {
      console.log("No cluster is running.");
      return;
    }
    const { containers } = await removeCluster(id);
    if (containers === 0 && args.id) {
      throw new UserError(
        `No cluster with id ${id} exists; \`faultline cluster list\` shows them.`,
      );
    }
    console.log(`Cluster ${id} is down (${containers} containers removed).`);
  },
};

const list: CommandModule = {
  command: "list",
  describe: "List running clusters with their nodes and addresses",
  handler: async () => {
    await assertDocker();
    const clusters = await listClusters();
    if (clusters.size === 0) console.log("No cluster is running.");
    for (const id of clusters.keys()) {
      const cluster = await attachCluster(id).catch(() => undefined);
      const nodes = cluster?.nodes.map((n) => `${n.name}=${n.ip}`).join(" ") ?? "(damaged)";
      console.log(`${id}  ${nodes}`);
    }
  },
};

export const clusterCommand: CommandModule = {
  command: "cluster",
  describe: "Start, list or take down a cluster to poke at by hand",
  builder: (y) =>
    y.command(up).command(down).command(list).demandCommand(1, "Name an action: up, down or list."),
  handler: () => {
    throw new UserError("Name an action: up, down or list.", EXIT.badInput);
  },
};
