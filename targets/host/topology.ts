// The host's knowledge of the cluster: its own node id and every node's address. The
// control process sends it once (a `topology` request); the host keeps it on disk so that a
// node restarted by the runtime comes back without help.
import * as fs from "node:fs";
import * as path from "node:path";
import { PEER_PORT } from "./ports.ts";

export interface Topology {
  node_id: string;
  /** Node id -> "ip" or "ip:port" (the port of that node's host for peer datagrams). */
  nodes: Record<string, string>;
}

export function isTopology(x: unknown): x is Topology {
  const t = x as Topology;
  return (
    typeof t === "object" &&
    t !== null &&
    typeof t.node_id === "string" &&
    typeof t.nodes === "object" &&
    t.nodes !== null &&
    t.node_id in t.nodes
  );
}

/** Split "ip" or "ip:port" into an address and a port (PEER_PORT by default). */
export function peerAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  if (i < 0) return { host: address, port: PEER_PORT };
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}

export function loadTopology(file: string): Topology | undefined {
  if (!fs.existsSync(file)) return undefined;
  const t = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
  return isTopology(t) ? t : undefined;
}

export function saveTopology(file: string, t: Topology): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, "w");
  fs.writeSync(fd, JSON.stringify(t));
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}
