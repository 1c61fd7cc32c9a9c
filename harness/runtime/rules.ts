// Network faults as iptables rules. Faultline's rules live only in two chains of its own,
// FAULTLINE-IN (jumped to first from INPUT) and FAULTLINE-OUT (first from OUTPUT), inside each
// node's network namespace (its infra container). Applying faults rewrites those chains with one
// `iptables-restore --noflush` per node; healing empties them; nothing else is ever flushed.
//
// Every rule names the address of another node of the cluster, so faults cut node-to-node
// traffic only: the control process (whose packets come from the bridge gateway) can still talk
// to a node that is deaf or mute towards its peers.

export const CHAIN_IN = "FAULTLINE-IN";
export const CHAIN_OUT = "FAULTLINE-OUT";

/** The faults currently asked of one node. */
export interface NodeFaults {
  /** Addresses whose packets this node drops (from the grudge). */
  dropFrom: Set<string>;
  /** Receive omission: drop everything arriving from other nodes. */
  deaf: boolean;
  /** Send omission: drop everything sent to other nodes. */
  mute: boolean;
  /** Drop each packet to or from other nodes with this probability (0 = off). */
  loss: number;
}

export function noFaults(): NodeFaults {
  return { dropFrom: new Set(), deaf: false, mute: false, loss: 0 };
}

/** The iptables-restore input that sets this node's chains to exactly these faults. */
export function renderRules(faults: NodeFaults, peers: string[]): string {
  const lines = ["*filter", `:${CHAIN_IN} - [0:0]`, `:${CHAIN_OUT} - [0:0]`];
  lines.push(`-F ${CHAIN_IN}`, `-F ${CHAIN_OUT}`);
  const dropIn = faults.deaf ? peers : [...faults.dropFrom];
  for (const ip of dropIn) lines.push(`-A ${CHAIN_IN} -s ${ip}/32 -j DROP`);
  if (faults.mute) for (const ip of peers) lines.push(`-A ${CHAIN_OUT} -d ${ip}/32 -j DROP`);
  if (faults.loss > 0) {
    const p = faults.loss.toFixed(6);
    for (const ip of peers) {
      lines.push(
        `-A ${CHAIN_IN} -s ${ip}/32 -m statistic --mode random --probability ${p} -j DROP`,
      );
      lines.push(
        `-A ${CHAIN_OUT} -d ${ip}/32 -m statistic --mode random --probability ${p} -j DROP`,
      );
    }
  }
  lines.push("COMMIT", "");
  return lines.join("\n");
}

/** A shell command (run in the infra container) that loads `FAULTLINE_RULES` from its
 *  environment and makes sure INPUT and OUTPUT jump to our chains first (once per netns). */
export const APPLY_SCRIPT = [
  `printf '%s' "$FAULTLINE_RULES" | iptables-restore -w --noflush`,
  `{ iptables -w -C INPUT -j ${CHAIN_IN} 2>/dev/null || iptables -w -I INPUT 1 -j ${CHAIN_IN}; }`,
  `{ iptables -w -C OUTPUT -j ${CHAIN_OUT} 2>/dev/null || iptables -w -I OUTPUT 1 -j ${CHAIN_OUT}; }`,
].join(" && ");
