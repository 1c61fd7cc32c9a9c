// equivocate: the traitor tells different peers different things. About half its peers
// (chosen by a hash of the rule's seed and the peer, so the same for the whole fault window)
// get flipped values, the others the true ones: each peer on its own sees a consistent
// sender, only comparing notes shows the lie.
import type { MessageRule } from "./rule.ts";
import { flipBody } from "./values.ts";
import { hashUnit, type InterceptContext, type Interceptor } from "./types.ts";

/** The peers lied to: the half (rounded up) ranked first by the seeded hash. */
export function liedTo(peers: readonly string[], seed: number): Set<string> {
  const ranked = [...peers].sort((a, b) => hashUnit(`${seed}/${a}`) - hashUnit(`${seed}/${b}`));
  return new Set(ranked.slice(0, Math.ceil(peers.length / 2)));
}

export function equivocate(rule: MessageRule, ctx: InterceptContext): Interceptor {
  const lied = liedTo(ctx.peers, rule.seed ?? 0);
  return {
    pass(out, emit) {
      if (!lied.has(out.msg.dest)) return emit(out);
      emit({
        msg: { ...out.msg, body: flipBody(out.msg.body, ctx.valueFields) },
        delayMs: out.delayMs,
      });
    },
  };
}
