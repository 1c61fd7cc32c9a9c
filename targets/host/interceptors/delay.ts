// delay: the message leaves `ms` later, give or take up to `jitter_ms` (never before now).
// Different delays let later messages overtake earlier ones, as on a real network.
import type { MessageRule } from "./rule.ts";
import type { InterceptContext, Interceptor } from "./types.ts";

export function delay(rule: MessageRule, ctx: InterceptContext): Interceptor {
  const ms = rule.ms ?? 0;
  const jitter = rule.jitter_ms ?? 0;
  return {
    pass(out, emit) {
      const extra = Math.max(0, ms + (ctx.random() * 2 - 1) * jitter);
      emit({ msg: out.msg, delayMs: out.delayMs + extra });
    },
  };
}
