// What the message faults (delay, duplicate, reorder, byzantine) share: they set interceptor
// rules in the node hosts (targets/host/interceptors/) instead of packet rules, so they need
// a target whose nodes run under the node host. Healing clears the rules of their nodes.
import type { MessageRule } from "../../targets/types.ts";
import type { FaultContext } from "../fault.ts";
import { onEach } from "../who.ts";

/** The faults that work through the node hosts' interceptor rules. */
export const MESSAGE_FAULTS = ["delay", "duplicate", "reorder", "byzantine"] as const;

export function setRules(ctx: FaultContext, node: string, rules: MessageRule[]): Promise<void> {
  if (!ctx.messageRules)
    throw new Error("this target's nodes do not run under the node host: no message rules");
  return ctx.messageRules(node, rules);
}

/** The same rules (with a seed of their own on each node) on every node of the fault. */
export function setOnEach(
  ctx: FaultContext,
  nodes: string[],
  rule: (node: string) => MessageRule[],
): Promise<void> {
  return onEach(nodes, (n) => setRules(ctx, n, rule(n)));
}

/** Heal: no rules on these nodes. */
export function clearRules(ctx: FaultContext, nodes: string[]): Promise<void> {
  return onEach(nodes, (n) => setRules(ctx, n, []));
}
