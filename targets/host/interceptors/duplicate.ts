// duplicate: the message arrives `copies` more times (default once more), each copy a
// moment after the original, as a retransmitting network would deliver it.
import type { MessageRule } from "./rule.ts";
import type { Interceptor } from "./types.ts";
import { copyOf } from "./types.ts";

export function duplicate(rule: MessageRule): Interceptor {
  const copies = Math.max(1, Math.floor(rule.copies ?? 1));
  return {
    pass(out, emit) {
      emit(out);
      for (let i = 1; i <= copies; i++) emit({ msg: copyOf(out.msg), delayMs: out.delayMs + i });
    },
  };
}
