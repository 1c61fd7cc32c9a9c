// Maelstrom's echo workload: a node must send back exactly what it was sent. Every ok echo's
// returned value must equal (as JSON) the value it was invoked with; fail and info echoes say
// nothing. The workload's codec records an `echo_ok` without an `echo` field as null, so a
// node that forgets the payload is caught too.
import type { Op } from "../../histories/op.ts";
import { pairHistory } from "../../histories/pair.ts";
import type { Checker, CheckerOptions } from "../checker.ts";
import type { CheckResult } from "../types.ts";
import { firstFew, jsonKey, maxReported, show } from "../elements.ts";
import { readerOf } from "../final-reads.ts";

export interface EchoResult extends CheckResult {
  /** ok echoes checked, and those that came back different. */
  ok: number;
  wrong: number;
  /** The first wrong ones: the op index of the completion, its node, what was sent and got. */
  mismatches: { op: number; node: string; sent: unknown; got: unknown }[];
}

export function checkEcho(history: Op[], options: CheckerOptions = {}): EchoResult {
  const mismatches: EchoResult["mismatches"] = [];
  let ok = 0;
  for (const p of pairHistory(history)) {
    if (p.f !== "echo" || p.type !== "ok") continue;
    ok++;
    const sent = p.invoke.value;
    const got = p.completion!.value;
    if (jsonKey(sent) !== jsonKey(got))
      mismatches.push({ op: p.completion!.index, node: readerOf(p), sent, got });
  }
  const wrong = mismatches.length;
  return {
    valid: wrong === 0,
    reason:
      wrong === 0
        ? `all ${ok} ok echoes returned what was sent`
        : `${wrong} of ${ok} ok echoes returned something else`,
    ok,
    wrong,
    mismatches: firstFew(mismatches, maxReported(options)),
  };
}

export const echoChecker: Checker = {
  name: "echo",
  prefixClosed: true,
  description: "every ok echo returned exactly what was sent",
  check: async (history, options) => checkEcho(history, options),
  explain(result) {
    const r = result as EchoResult;
    if (r.mismatches === undefined) return [];
    return [
      `${r.ok} ok echoes, ${r.wrong} returned something other than what was sent`,
      ...r.mismatches.map(
        (m) => `  op ${m.op} on ${m.node}: sent ${show(m.sent)}, got ${show(m.got)}`,
      ),
    ];
  },
};
