// Every interceptor rule, by action: one module each.
import { delay } from "./delay.ts";
import { drop } from "./drop.ts";
import { duplicate } from "./duplicate.ts";
import { equivocate } from "./equivocate.ts";
import { flip } from "./flip.ts";
import { forge } from "./forge.ts";
import { reorder } from "./reorder.ts";
import { replay } from "./replay.ts";
import type { MessageRule, RuleAction } from "./rule.ts";
import { silent } from "./silent.ts";
import type { InterceptContext, Interceptor } from "./types.ts";

const MAKERS: Record<RuleAction, (rule: MessageRule, ctx: InterceptContext) => Interceptor> = {
  drop: () => drop(),
  delay,
  duplicate: (rule) => duplicate(rule),
  reorder,
  flip: (_rule, ctx) => flip(ctx),
  equivocate,
  forge,
  replay: (_rule, ctx) => replay(ctx),
  silent: () => silent(),
};

export function interceptorFor(rule: MessageRule, ctx: InterceptContext): Interceptor {
  return MAKERS[rule.action](rule, ctx);
}
