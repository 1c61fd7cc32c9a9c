// forge: the traitor's messages claim another node as their sender (one other than the
// destination, chosen by the rule's seed). A receiving host of an `authenticated` target
// sees through it (authenticity.ts).
import type { MessageRule } from "./rule.ts";
import type { InterceptContext, Interceptor } from "./types.ts";

/** Whom a forged message to `dest` claims to come from. */
export function claimedSender(peers: readonly string[], dest: string, seed: number): string {
  const others = peers.filter((p) => p !== dest);
  if (others.length === 0) return dest; // a two-node cluster: claim to be the receiver itself
  return others[Math.floor(seed) % others.length]!;
}

export function forge(rule: MessageRule, ctx: InterceptContext): Interceptor {
  return {
    pass(out, emit) {
      const src = claimedSender(ctx.peers, out.msg.dest, rule.seed ?? 0);
      emit({ msg: { ...out.msg, src }, delayMs: out.delayMs });
    },
  };
}
