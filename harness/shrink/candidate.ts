// What a shrink candidate is made of, for a stored run's recorded faults: its time limit (cut
// after its last fault) and how it reads on the console. Pure.
import { describeSchedule, settleOf, type RecordedFault } from "../../nemesis/recorded.ts";
import type { Candidate } from "./search.ts";

/** Seconds of main phase a run with these faults needs: until the last one is healed (its
 *  stop, plus a staged heal's estimate) and `marginSeconds` more for the failure to show. */
export function cutTimeLimit(faults: readonly RecordedFault[], marginSeconds: number): number {
  const healedMs = Math.max(0, ...faults.map((f) => f.stopMs + settleOf(f)));
  return Math.max(1, Math.ceil((healedMs + marginSeconds * 1000) / 1000));
}

/** "2 faults, 14 s, 5 clients, 1 key". */
export function describeCandidate(c: Candidate<RecordedFault>): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return [
    plural(c.faults.length, "fault"),
    `${c.timeLimitSeconds} s`,
    plural(c.concurrency, "client"),
    ...(c.keys !== undefined ? [plural(c.keys, "key")] : []),
  ].join(", ");
}

/** The candidate's schedule, one line a fault ("no faults" when it has none). */
export function scheduleLines(c: Candidate<RecordedFault>): string[] {
  return c.faults.length === 0 ? ["no faults"] : describeSchedule(c.faults);
}
