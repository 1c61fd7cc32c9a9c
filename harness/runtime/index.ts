// The runtime's public face: start a cluster, find one, clean up everything. See docs/runtime.md.
export { createCluster, attachCluster, removeCluster } from "./cluster.ts";
export { cleanAll, listClusters } from "./clean.ts";
export { dockerAvailable, assertDocker, engineAddress } from "./docker.ts";
export { nodeImageTag, imageExists } from "./image.ts";
export { CLOCK_REFRESH_SECONDS } from "./clock.ts";
export type * from "../../core/runtime.ts";
