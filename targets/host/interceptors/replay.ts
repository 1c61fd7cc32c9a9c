// replay: besides each real message, the traitor resends an old message it sent to the same
// peer before (picked at random from what its host remembers), stale msg_id and all.
import type { InterceptContext, Interceptor } from "./types.ts";
import { copyOf } from "./types.ts";

export function replay(ctx: InterceptContext): Interceptor {
  return {
    pass(out, emit) {
      const old = ctx.sentBefore(out.msg.dest);
      emit(out);
      if (old.length === 0) return;
      const pick = old[Math.floor(ctx.random() * old.length)]!;
      emit({ msg: copyOf(pick), delayMs: out.delayMs });
    },
  };
}
