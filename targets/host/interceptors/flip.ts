// flip: every message the traitor sends carries changed values (values.ts).
import { flipBody } from "./values.ts";
import type { InterceptContext, Interceptor } from "./types.ts";

export function flip(ctx: InterceptContext): Interceptor {
  return {
    pass(out, emit) {
      emit({
        msg: { ...out.msg, body: flipBody(out.msg.body, ctx.valueFields) },
        delayMs: out.delayMs,
      });
    },
  };
}
