// The ordered chain of rules every outgoing node-to-node message of a host passes. A rule
// takes only the messages to its destinations (all peers by default) and, of those, its
// probability's share; what it emits goes on to the next rule, and what leaves the last rule
// goes to the sink (the host sends it after its delay).
import { Rng } from "../../../core/rng.ts";
import { interceptorFor } from "./index.ts";
import type { MessageRule, RuleAction } from "./rule.ts";
import type { Emit, InterceptContext, Message, Outgoing } from "./types.ts";

export interface ChainOptions extends Omit<InterceptContext, "random"> {
  /** Told which rule took a message (host_stats' `intercepted`). */
  onTaken?(action: RuleAction): void;
}

export class InterceptorChain {
  private readonly first: Emit;
  private readonly flushers: Array<() => void> = [];

  constructor(
    readonly rules: readonly MessageRule[],
    opts: ChainOptions,
    sink: Emit,
  ) {
    let next: Emit = sink;
    for (let i = rules.length - 1; i >= 0; i--) {
      const rule = rules[i]!;
      const rng = Rng.seeded(rule.seed ?? Math.floor(Math.random() * 2 ** 31));
      const interceptor = interceptorFor(rule, { ...opts, random: () => rng.float() });
      const after = next;
      const dest = rule.dest && new Set(rule.dest);
      const probability = rule.probability ?? 1;
      next = (out: Outgoing) => {
        if (dest && !dest.has(out.msg.dest)) return after(out);
        if (probability < 1 && rng.float() >= probability) return after(out);
        opts.onTaken?.(rule.action);
        interceptor.pass(out, after);
      };
      if (interceptor.flush) this.flushers.unshift(() => interceptor.flush!(after));
    }
    this.first = next;
  }

  send(msg: Message): void {
    this.first({ msg, delayMs: 0 });
  }

  /** Release every held message (earlier rules first, so later rules still see them). */
  flush(): void {
    for (const f of this.flushers) f();
  }
}
