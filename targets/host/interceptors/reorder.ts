// reorder: messages to each destination are held, and released in reverse order once `hold`
// of them are waiting or the oldest has waited `ms`: the peer receives them out of order.
import type { MessageRule } from "./rule.ts";
import type { Emit, InterceptContext, Interceptor, Outgoing } from "./types.ts";

export function reorder(rule: MessageRule, ctx: InterceptContext): Interceptor {
  const hold = Math.max(2, Math.floor(rule.hold ?? 3));
  const maxWaitMs = rule.ms ?? 50;
  const held = new Map<string, Outgoing[]>();
  const release = (dest: string, emit: Emit) => {
    const waiting = held.get(dest);
    if (!waiting) return;
    held.delete(dest);
    for (const out of waiting.reverse()) emit(out);
  };
  return {
    pass(out, emit) {
      const dest = out.msg.dest;
      const waiting = held.get(dest);
      if (!waiting) {
        held.set(dest, [out]);
        const batch = held.get(dest);
        // Released by the timer only if this batch is still the one waiting.
        ctx.later(() => {
          if (held.get(dest) === batch) release(dest, emit);
        }, maxWaitMs);
        return;
      }
      waiting.push(out);
      if (waiting.length >= hold) release(dest, emit);
    },
    flush(emit) {
      for (const dest of [...held.keys()]) release(dest, emit);
    },
  };
}
