// The interceptor rules a node host applies to its node's outgoing node-to-node messages, as
// the control process sends them (the `host_rules` request, docs/node-protocol.md). Delivery
// rules disturb the network's service; Byzantine mutations make the node lie (docs/faults.md).

/** What the network does to a message: lose it, make it late, deliver it twice, out of order. */
export const DELIVERY_ACTIONS = ["drop", "delay", "duplicate", "reorder"] as const;
/** What a traitor does to what it sends (the `byzantine` fault's behaviours). */
export const BYZANTINE_ACTIONS = ["flip", "equivocate", "forge", "replay", "silent"] as const;
export const RULE_ACTIONS = [...DELIVERY_ACTIONS, ...BYZANTINE_ACTIONS] as const;

export type DeliveryAction = (typeof DELIVERY_ACTIONS)[number];
export type ByzantineAction = (typeof BYZANTINE_ACTIONS)[number];
export type RuleAction = (typeof RULE_ACTIONS)[number];

/** One rule of a host's chain (field names as on the wire). */
export interface MessageRule {
  action: RuleAction;
  /** Only messages to these nodes (default: to every peer). */
  dest?: string[];
  /** The share of the messages (0..1) the rule takes; the others pass untouched (default 1). */
  probability?: number;
  /** delay: milliseconds added; reorder: the longest a message is held (default 50). */
  ms?: number;
  /** delay: up to this many ms more or less, uniformly (default 0). */
  jitter_ms?: number;
  /** duplicate: extra copies of each message taken (default 1). */
  copies?: number;
  /** reorder: messages held (per destination) before they are released in reverse order
   *  (default 3). */
  hold?: number;
  /** Seed of the rule's random choices (which messages it takes, whom an equivocation lies
   *  to, whom a forge claims to be); the nemesis derives it from the run's seed. */
  seed?: number;
}

/** The rules in a request, or a sentence saying what is wrong with them. */
export function parseRules(raw: unknown): MessageRule[] | string {
  if (!Array.isArray(raw)) return "rules must be a list of rules";
  const out: MessageRule[] = [];
  for (const [i, r] of raw.entries()) {
    const problem = ruleProblem(r);
    if (problem) return `rule ${i}: ${problem}`;
    out.push(r as MessageRule);
  }
  return out;
}

function ruleProblem(r: unknown): string | undefined {
  if (typeof r !== "object" || r === null) return "not an object";
  const rule = r as Record<string, unknown>;
  if (!(RULE_ACTIONS as readonly unknown[]).includes(rule.action))
    return `action must be one of ${RULE_ACTIONS.join(", ")}`;
  if (rule.dest !== undefined && !(Array.isArray(rule.dest) && rule.dest.every(isString)))
    return "dest must be a list of node ids";
  const p = rule.probability;
  if (p !== undefined && !(typeof p === "number" && p >= 0 && p <= 1))
    return "probability must be a number from 0 to 1";
  for (const field of ["ms", "jitter_ms", "copies", "hold", "seed"]) {
    const v = rule[field];
    if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v >= 0))
      return `${field} must be a number of at least 0`;
  }
  return undefined;
}

function isString(x: unknown): x is string {
  return typeof x === "string";
}
