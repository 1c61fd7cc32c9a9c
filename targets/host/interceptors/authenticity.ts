// How a receiving host of an `authenticated` target tells a forged message: the node a
// datagram really came from is the one whose address (ip and peer port) sent it, and a
// message from a node whose `src` names another node is a forgery.
import { peerAddress } from "../topology.ts";
import type { Topology } from "../topology.ts";

/** The node whose host sent from this address and port, if any. */
export function realSender(
  t: Topology,
  from: { address: string; port: number },
): string | undefined {
  for (const [node, address] of Object.entries(t.nodes)) {
    const { host, port } = peerAddress(address);
    if (host === from.address && port === from.port) return node;
  }
  return undefined;
}

/** True when the message claims a sender other than the one it came from. */
export function isForged(
  t: Topology,
  src: string,
  from: { address: string; port: number },
): boolean {
  return realSender(t, from) !== src;
}
